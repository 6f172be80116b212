package devnet

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/kaiban-platform/kaiban/network/devnet/ledger"
)

// ChannelReport is what Verify found for one channel.
type ChannelReport struct {
	Channel string
	ledger.Report
}

// Verify checks the ledgers of a stopped network's data directory: every
// channel's chain is re-hashed and replayed, and the replay compared with the
// stored state (see ledger.Verify).
func Verify(dir string) ([]ChannelReport, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "ledgers"))
	if err != nil {
		return nil, fmt.Errorf("devnet: verify %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var reports []ChannelReport
	for _, name := range names {
		r, err := ledger.Verify(filepath.Join(dir, "ledgers", name))
		if err != nil {
			return reports, fmt.Errorf("devnet: channel %s: %w", name, err)
		}
		reports = append(reports, ChannelReport{Channel: name, Report: r})
	}
	return reports, nil
}
