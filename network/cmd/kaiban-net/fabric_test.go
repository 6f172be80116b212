package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFabricCommands_InitAndBadInput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := runInit([]string{"--dir", dir, "--departments", "market", "--base-port", "23000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "network.yaml")); err != nil {
		t.Fatal("init wrote no network.yaml")
	}
	if err := runInit([]string{"--dir", dir, "--departments", "market", "--base-port", "23000"}); err != nil {
		t.Errorf("repeated init: %v", err)
	}
	for name, tc := range map[string]struct {
		run  func([]string) error
		args []string
		want string
	}{
		"init conflicting":     {runInit, []string{"--dir", dir, "--departments", "market", "--consensus", "BFT"}, "already initialised"},
		"init bad consensus":   {runInit, []string{"--dir", filepath.Join(t.TempDir(), "x"), "--consensus", "pbft"}, "invalid consensus"},
		"up on a non-docker":   {runUp, []string{"--dir", dir, "--docker"}, "init --docker"},
		"up stray argument":    {runUp, []string{"--dir", dir, "now"}, "unexpected arguments"},
		"status uninitialised": {runStatus, []string{"--dir", t.TempDir()}, "kaiban-net init"},
		"channel no sub":       {runChannel, nil, "missing subcommand"},
		"channel bad sub":      {runChannel, []string{"delete"}, "unknown subcommand"},
		"cc no version":        {runCC, []string{"deploy", "--dir", dir}, "--version"},
		"cc unknown chaincode": {runCC, []string{"upgrade", "--dir", dir, "--version", "2", "--chaincodes", "payroll"}, `unknown chaincode "payroll"`},
		"member without msp":   {runMember, []string{"add", "--dir", dir}, "--msp"},
		"member bad kind":      {runMember, []string{"add", "--dir", dir, "--msp", "XMSP", "--kind", "ministry"}, "invalid kind"},
		"node add without org": {runNode, []string{"add", "--dir", dir}, "--org"},
		"node remove unknown":  {runNode, []string{"remove", "--dir", dir, "peer7.market.kaiban.local"}, "unknown node"},
	} {
		err := tc.run(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}
}

func TestFabricCommands_InTheTable(t *testing.T) {
	want := []string{"init", "up", "down", "channel", "cc", "member", "node", "status"}
	for _, name := range want {
		found := false
		for _, c := range commands {
			found = found || c.name == name
		}
		if !found {
			t.Errorf("command %s is not in main's command table", name)
		}
	}
}
