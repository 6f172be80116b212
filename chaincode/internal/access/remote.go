package access

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Query calls a read-only function of another chaincode on the same channel
// inside this transaction and decodes its JSON result into out. The callee's
// reads join this transaction's read set, so a record that changes before
// commit invalidates the transaction (MVCC) rather than letting a stale check
// pass. A classified error from the callee keeps its code.
func Query(ctx contractapi.TransactionContextInterface, chaincode, function string, out any, args ...string) error {
	argv := make([][]byte, 0, 1+len(args))
	argv = append(argv, []byte(function))
	for _, a := range args {
		argv = append(argv, []byte(a))
	}
	resp := ctx.GetStub().InvokeChaincode(chaincode, argv, "")
	if resp.GetStatus() >= 400 {
		if e := model.ParseError(resp.GetMessage()); e != nil {
			return e
		}
		return fmt.Errorf("%s %s: status %d: %s", chaincode, function, resp.GetStatus(), resp.GetMessage())
	}
	if err := json.Unmarshal(resp.GetPayload(), out); err != nil {
		return fmt.Errorf("%s %s: decode result: %w", chaincode, function, err)
	}
	return nil
}

// Remote is the Directory that asks the subject chaincode.
type Remote struct{}

// Member fetches a member from the subject chaincode.
func (Remote) Member(ctx contractapi.TransactionContextInterface, id string) (*model.Member, error) {
	var m model.Member
	if err := Query(ctx, model.ChaincodeSubject, "GetMember", &m, id); err != nil {
		return nil, err
	}
	return &m, nil
}

// Subject fetches a subject from the subject chaincode.
func (Remote) Subject(ctx contractapi.TransactionContextInterface, id string) (*model.Subject, error) {
	var s model.Subject
	if err := Query(ctx, model.ChaincodeSubject, "GetSubject", &s, id); err != nil {
		return nil, err
	}
	return &s, nil
}
