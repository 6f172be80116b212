package txsim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// RegistryContract is a tiny contract that calls LedgerContract in chaincode "ledger".
type RegistryContract struct {
	contractapi.Contract
}

// Register records a company here and an entry in the ledger chaincode.
func (c *RegistryContract) Register(ctx contractapi.TransactionContextInterface, id string) error {
	stub := ctx.GetStub()
	if err := stub.PutState("company~"+id, []byte("registered")); err != nil {
		return err
	}
	if err := stub.SetEvent("CompanyRegistered", []byte(id)); err != nil {
		return err
	}
	resp := stub.InvokeChaincode("ledger", [][]byte{[]byte("Record"), []byte(id)}, "")
	if resp.Status != shim.OK {
		return fmt.Errorf("record %s in ledger: %s", id, resp.Message)
	}
	if string(resp.Payload) != "recorded "+id {
		return fmt.Errorf("ledger answered %q", resp.Payload)
	}
	return nil
}

// Call forwards to the ledger chaincode and returns its status and message.
func (c *RegistryContract) Call(ctx contractapi.TransactionContextInterface, channel, fn, arg string) (string, error) {
	resp := ctx.GetStub().InvokeChaincode("ledger", [][]byte{[]byte(fn), []byte(arg)}, channel)
	return fmt.Sprintf("%d %s", resp.Status, resp.Message), nil
}

// LedgerContract is the callee.
type LedgerContract struct {
	contractapi.Contract
}

// Record writes an entry, reads one, and sets an event that Fabric drops.
func (c *LedgerContract) Record(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	stub := ctx.GetStub()
	if _, err := stub.GetState("seen~" + id); err != nil {
		return "", err
	}
	if err := stub.PutState("entry~"+id, []byte("1")); err != nil {
		return "", err
	}
	if err := stub.SetEvent("CalleeEvent", nil); err != nil {
		return "", err
	}
	return "recorded " + id, nil
}

// Fail writes and then fails; the write stays in the shared simulator.
func (c *LedgerContract) Fail(ctx contractapi.TransactionContextInterface, id string) error {
	if err := ctx.GetStub().PutState("failed~"+id, []byte("1")); err != nil {
		return err
	}
	return errors.New("ledger refuses " + id)
}

// Back calls the registry chaincode again, which Fabric refuses.
func (c *LedgerContract) Back(ctx contractapi.TransactionContextInterface, id string) error {
	resp := ctx.GetStub().InvokeChaincode("registry", [][]byte{[]byte("Register"), []byte(id)}, "")
	return errors.New(resp.Message)
}

// Missing calls a chaincode that is not installed.
func (c *LedgerContract) Missing(ctx contractapi.TransactionContextInterface, id string) error {
	resp := ctx.GetStub().InvokeChaincode("nowhere", nil, "")
	return errors.New(resp.Message)
}

func newContractChaincodes(t *testing.T) Chaincodes {
	t.Helper()
	registry, err := contractapi.NewChaincode(&RegistryContract{})
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := contractapi.NewChaincode(&LedgerContract{})
	if err != nil {
		t.Fatal(err)
	}
	return Chaincodes{"registry": registry, "ledger": ledger}
}

func TestInvokeChaincode_SameTransactionBothNamespaces(t *testing.T) {
	sim := New(NewMemoryState(), testContext("tx-c2c"), newContractChaincodes(t))
	resp := sim.Invoke("registry", [][]byte{[]byte("Register"), []byte("c1")})
	if resp.Status != shim.OK {
		t.Fatalf("response %d %s", resp.Status, resp.Message)
	}
	rws, err := sim.ReadWriteSet()
	if err != nil {
		t.Fatal(err)
	}
	var nss []string
	for _, n := range rws.NsRwset {
		nss = append(nss, n.Namespace)
	}
	if !slices.Equal(nss, []string{"ledger", "registry"}) {
		t.Fatalf("namespaces = %q, want both, sorted", nss)
	}
	if w := nsSet(t, sim, "ledger").Writes; len(w) != 1 || w[0].Key != "entry~c1" {
		t.Fatalf("ledger writes = %v", w)
	}
	if r := nsSet(t, sim, "ledger").Reads; len(r) != 1 || r[0].Key != "seen~c1" {
		t.Fatalf("ledger reads = %v", r)
	}
	if w := nsSet(t, sim, "registry").Writes; len(w) != 1 || w[0].Key != "company~c1" {
		t.Fatalf("registry writes = %v", w)
	}
	// Only the event of the chaincode the proposal invoked reaches the transaction.
	if ev := sim.Event(); ev == nil || ev.EventName != "CompanyRegistered" || ev.ChaincodeId != "registry" || ev.TxId != "tx-c2c" {
		t.Fatalf("event = %v", ev)
	}

	m := NewMemoryState()
	if codes := commit(t, m, 1, sim); codes[0] != peer.TxValidationCode_VALID {
		t.Fatalf("commit: %s", codes[0])
	}
	if vv, _ := m.GetState("ledger", "entry~c1"); vv == nil {
		t.Fatal("callee write not committed")
	}
}

func TestInvokeChaincode_Failures(t *testing.T) {
	tests := []struct {
		name        string
		channel, fn string
		wantStatus  string
		wantMessage string
		wantWrite   string
	}{
		{"callee error returned to caller", "", "Fail", "500 ", "ledger refuses x", "failed~x"},
		{"other channel", "other", "Record", "500 ", "failed to find ledger for channel: other", ""},
		{"same channel named", "ch1", "Record", "200 ", "", "entry~x"},
		{"re-entering the caller", "", "Back", "500 ", "txid: tx-f(ch1) exists", ""},
		{"callee not installed", "", "Missing", "500 ", "failed to get chaincode container info for nowhere", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := New(NewMemoryState(), testContext("tx-f"), newContractChaincodes(t))
			resp := sim.Invoke("registry", [][]byte{[]byte("Call"), []byte(tt.channel), []byte(tt.fn), []byte("x")})
			if resp.Status != shim.OK {
				t.Fatalf("caller failed: %s", resp.Message)
			}
			got := string(resp.Payload)
			if !strings.HasPrefix(got, tt.wantStatus) || !strings.Contains(got, tt.wantMessage) {
				t.Fatalf("callee response %q, want status %q and message containing %q", got, tt.wantStatus, tt.wantMessage)
			}
			var writes []string
			for _, n := range sim.Writes() {
				for _, w := range n.Writes {
					writes = append(writes, w.Key)
				}
			}
			if tt.wantWrite == "" && len(writes) != 0 || tt.wantWrite != "" && !slices.Equal(writes, []string{tt.wantWrite}) {
				t.Fatalf("writes = %q, want %q", writes, tt.wantWrite)
			}
		})
	}
}
