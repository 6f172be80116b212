package txsim_test

import (
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
)

// counter is a chaincode that adds a tally mark to a key.
type counter struct{}

func (counter) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (counter) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	v, err := stub.GetState("count")
	if err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.PutState("count", append(v, '|')); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// The life of transactions on a peer, as devnet runs it: simulate each against a
// snapshot, then validate a block of them in order and apply the block's updates.
func Example() {
	state := txsim.NewMemoryState()
	chaincodes := txsim.Chaincodes{"counter": counter{}}

	// Two clients endorse at the same time, against the same committed state.
	var block []txsim.BlockTx
	for i, txID := range []string{"tx-a", "tx-b"} {
		sim := txsim.New(state.Snapshot(), txsim.Context{ChannelID: "kaiban", TxID: txID, Timestamp: timestamppb.Now()}, chaincodes)
		resp := sim.Invoke("counter", [][]byte{[]byte("Increment")})
		if !txsim.Succeeded(resp) {
			fmt.Println("endorsement failed:", resp.Message)
			return
		}
		rws, err := sim.ReadWriteSet()
		if err != nil {
			fmt.Println(err)
			return
		}
		block = append(block, txsim.BlockTx{TxNum: uint64(i), TxID: txID, RWSet: rws})
	}

	// The committer validates them in order: the second read a key the first wrote.
	v := txsim.NewValidator(state.Snapshot(), 1)
	for _, tx := range block {
		code, err := v.Validate(tx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(tx.TxID, code)
	}
	if err := state.Apply(v.Batch()); err != nil {
		fmt.Println(err)
		return
	}
	vv, _ := state.GetState("counter", "count")
	fmt.Printf("count=%q version=%d:%d\n", vv.Value, vv.Version.BlockNum, vv.Version.TxNum)
	// Output:
	// tx-a VALID
	// tx-b MVCC_READ_CONFLICT
	// count="|" version=1:0
}
