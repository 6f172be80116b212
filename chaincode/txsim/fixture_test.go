package txsim

import (
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ccFunc is a chaincode made of one function, for driving the stub directly.
type ccFunc func(stub shim.ChaincodeStubInterface) *peer.Response

func (f ccFunc) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (f ccFunc) Invoke(stub shim.ChaincodeStubInterface) *peer.Response { return f(stub) }

// body adapts a test body returning an error to a chaincode.
func body(fn func(stub shim.ChaincodeStubInterface) error) ccFunc {
	return func(stub shim.ChaincodeStubInterface) *peer.Response {
		if err := fn(stub); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	}
}

var testTime = time.Date(2021, 12, 1, 9, 0, 0, 0, time.UTC)

func testContext(txID string) Context {
	return Context{ChannelID: "ch1", TxID: txID, Timestamp: timestamppb.New(testTime), Creator: []byte("creator")}
}

var txCounter int

// simulate runs fn as chaincode "cc" over state and fails the test on an error response.
func simulate(t *testing.T, state State, fn func(stub shim.ChaincodeStubInterface) error) *Simulation {
	t.Helper()
	txCounter++
	sim := New(state, testContext(fmt.Sprintf("tx%d", txCounter)), Chaincodes{"cc": body(fn)})
	if resp := sim.Invoke("cc", [][]byte{[]byte("fn")}); resp.Status != shim.OK {
		t.Fatalf("chaincode failed: %d %s", resp.Status, resp.Message)
	}
	return sim
}

// commit commits the simulations as one block and returns the validation codes.
func commit(t *testing.T, m *MemoryState, block uint64, sims ...*Simulation) []peer.TxValidationCode {
	t.Helper()
	txs := make([]BlockTx, len(sims))
	for i, sim := range sims {
		rws, err := sim.ReadWriteSet()
		if err != nil {
			t.Fatal(err)
		}
		txs[i] = BlockTx{TxNum: uint64(i), TxID: sim.Context().TxID, Timestamp: sim.Context().Timestamp, RWSet: rws}
	}
	codes, err := m.Commit(block, txs...)
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

// seed commits key/value pairs (alternating) of namespace "cc" in block.
func seed(t *testing.T, m *MemoryState, block uint64, kvs ...string) {
	t.Helper()
	sim := simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		for i := 0; i+1 < len(kvs); i += 2 {
			if err := stub.PutState(kvs[i], []byte(kvs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if codes := commit(t, m, block, sim); codes[0] != peer.TxValidationCode_VALID {
		t.Fatalf("seed block %d: %s", block, codes[0])
	}
}

// nsSet returns the decoded KVRWSet of ns, failing when it is absent.
func nsSet(t *testing.T, sim *Simulation, ns string) *kvrwset.KVRWSet {
	t.Helper()
	rws, err := sim.ReadWriteSet()
	if err != nil {
		t.Fatal(err)
	}
	nss, err := DecodeReadWriteSet(rws)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss {
		if n.Namespace == ns {
			return n.KVRWSet
		}
	}
	t.Fatalf("namespace %s not in read/write set", ns)
	return nil
}

func readKeys(reads []*kvrwset.KVRead) []string {
	var out []string
	for _, r := range reads {
		out = append(out, r.Key)
	}
	return out
}
