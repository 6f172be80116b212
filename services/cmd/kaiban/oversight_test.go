package main

import (
	"fmt"
	"testing"
)

func TestParseMonitoredNodes(t *testing.T) {
	nodes, err := parseMonitoredNodes(" peer0.market=peer@http://10.0.0.5:9443/ , orderer0=orderer@https://o:8443,")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(nodes) != "[{peer0.market peer http://10.0.0.5:9443/healthz http://10.0.0.5:9443/metrics} {orderer0 orderer https://o:8443/healthz https://o:8443/metrics}]" {
		t.Fatalf("nodes %v", nodes)
	}
	if nodes, err := parseMonitoredNodes(""); err != nil || len(nodes) != 0 {
		t.Fatalf("empty: %v %v", nodes, err)
	}
	for _, bad := range []string{"peer0", "peer0=peer", "=peer@http://h:1", "p=@http://h:1", "p=peer@ftp://h:1", "p=peer@http://"} {
		if _, err := parseMonitoredNodes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
