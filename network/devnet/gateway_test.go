package devnet_test

import (
	"testing"

	"github.com/kaiban-platform/kaiban/network/devnet"
)

func TestGateway_SubmitThenEvaluate(t *testing.T) {
	n := startNetwork(t)
	gw := connect(t, n, "OperatorMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	if _, err := kv.SubmitTransaction("Put", "a", "1"); err != nil {
		t.Fatalf("submit: %v", err)
	}
	got, err := kv.EvaluateTransaction("Get", "a")
	if err != nil || string(got) != "1" {
		t.Fatalf("evaluate = %q, %v", got, err)
	}
}
