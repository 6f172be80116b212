package ledger

import (
	"encoding/json"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// registerContract is a tiny chaincode: Register writes a key, List reads a range,
// Trail reads a key's history.
type registerContract struct {
	contractapi.Contract
}

func (registerContract) Register(ctx contractapi.TransactionContextInterface, key, value string) error {
	return ctx.GetStub().PutState(key, []byte(value))
}

func (registerContract) List(ctx contractapi.TransactionContextInterface, start, end string) ([]string, error) {
	it, err := ctx.GetStub().GetStateByRange(start, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []string{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, kv.Key+"="+string(kv.Value))
	}
	return out, nil
}

func (registerContract) Trail(ctx contractapi.TransactionContextInterface, key string) ([]string, error) {
	it, err := ctx.GetStub().GetHistoryForKey(key)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []string{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, string(m.Value))
	}
	return out, nil
}

// simulate runs fn(args) of the register chaincode (deployed as "asset") over a
// snapshot of l and returns the response and the envelope of the endorsed
// transaction.
func simulate(t *testing.T, n *network, l *Ledger, args ...string) (*peer.Response, txSpec) {
	t.Helper()
	cc, err := contractapi.NewChaincode(&registerContract{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var in [][]byte
	for _, a := range args {
		in = append(in, []byte(a))
	}
	sim := txsim.New(snap, txsim.Context{ChannelID: testChannel, TxID: "sim", Timestamp: timestamppb.Now(), Creator: n.client.serialized},
		txsim.Chaincodes{"asset": cc})
	resp := sim.Invoke("asset", in)
	txrws, err := sim.ReadWriteSet()
	if err != nil {
		t.Fatal(err)
	}
	nss, err := txsim.DecodeReadWriteSet(txrws)
	if err != nil {
		t.Fatal(err)
	}
	return resp, txSpec{rwset: nss}
}

// TestLedger_TxsimOverSnapshot endorses with txsim over the ledger's state: range
// queries see committed keys in order, a key inserted into a range read by a pending
// transaction makes it a PHANTOM_READ_CONFLICT, and history comes newest first.
func TestLedger_TxsimOverSnapshot(t *testing.T) {
	n := newNetwork(t)
	l := openLedger(t, n.config(t.TempDir()))
	for _, kv := range [][2]string{{"k1", "a"}, {"k3", "c"}, {"k1", "a2"}} {
		resp, spec := simulate(t, n, l, "Register", kv[0], kv[1])
		if resp.Status != 200 {
			t.Fatalf("Register: %s", resp.Message)
		}
		env, _ := n.build(t, spec)
		if st := submit(t, l, env)[0]; st.Code != peer.TxValidationCode_VALID {
			t.Fatalf("Register %v: %v", kv, st.Code)
		}
	}
	resp, listSpec := simulate(t, n, l, "List", "k0", "k9")
	var listed []string
	json.Unmarshal(resp.Payload, &listed)
	if len(listed) != 2 || listed[0] != "k1=a2" || listed[1] != "k3=c" {
		t.Fatalf("List = %s", resp.Payload)
	}
	resp, _ = simulate(t, n, l, "Trail", "k1")
	if string(resp.Payload) != `["a2","a"]` {
		t.Fatalf("Trail = %s", resp.Payload)
	}
	// The List transaction is still valid while nothing changed in its range.
	env, _ := n.build(t, listSpec)
	if st := submit(t, l, env)[0]; st.Code != peer.TxValidationCode_VALID {
		t.Fatalf("List tx: %v", st.Code)
	}
	_, insertSpec := simulate(t, n, l, "Register", "k2", "b")
	env, _ = n.build(t, insertSpec)
	submit(t, l, env)
	env, _ = n.build(t, listSpec)
	if st := submit(t, l, env)[0]; st.Code != peer.TxValidationCode_PHANTOM_READ_CONFLICT {
		t.Fatalf("List tx after an insert in its range: %v", st.Code)
	}
}
