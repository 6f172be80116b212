package main

import (
	"encoding/json"
	"os"
)

// runStatus runs `kaiban-net status`: heights, nodes, chaincodes, health, metrics.
func runStatus(args []string) error {
	fs := newFlagSet("status", "status [--dir DIR] [--json]")
	dir := dirFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of a report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	n, err := openNetwork(*dir, false)
	if err != nil {
		return err
	}
	defer n.Close()
	ctx, cancel := signalContext()
	defer cancel()
	st, err := n.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	st.Format(os.Stdout)
	return nil
}
