package approval

import (
	"regexp"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Contract is the approval chaincode's default contract. Every exported method
// is a transaction.
type Contract struct {
	contractapi.Contract
	dir access.Directory
}

// New returns the contract, named model.ChaincodeApproval, finding members and
// subjects through the subject chaincode.
func New() *Contract {
	c := &Contract{dir: access.Remote{}}
	c.Name = model.ChaincodeApproval
	return c
}

// Object types and indexes of the approval namespace.
const (
	keyProcess      = "process"
	keyStep         = "step"
	keyIntervention = "intervention"
	keyBundle       = "bundle"
	// indexPending lists the pending steps of each department: its task queue.
	indexPending = "step~dept"
)

// actionDecide is the action a department's signature over a decision binds.
const actionDecide = model.ChaincodeApproval + ".DecideStep"

// maxSignatureLen bounds the signature argument: a DER SM2 signature is at most
// 72 bytes, 96 characters of base64.
const maxSignatureLen = 256

// maxExtensionSeconds bounds the total extension of one step, keeping deadline
// arithmetic far from overflow.
const maxExtensionSeconds = 5 * 366 * 24 * 3600

// idPattern is model's rule for caller-chosen identifiers, applied to the plain
// ID parameters of the query and MarkOverdue transactions before they go into a
// composite key.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)

func checkID(field, v string) error {
	if !idPattern.MatchString(v) {
		return model.Errorf(model.CodeInvalid, "%s %q must be 1-128 characters of letters, digits and ._:@- starting with a letter or digit", field, v)
	}
	return nil
}

// txNow returns the transaction's timestamp, the only clock a contract has.
func txNow(stub ledger.Stub) (time.Time, ledger.Stamp, error) {
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return time.Time{}, st, err
	}
	t, err := model.ParseTime(st.At)
	return t, st, err
}

// caller returns the caller's identity after checking its role and that its
// member is active.
func (c *Contract) caller(ctx contractapi.TransactionContextInterface, role string) (*access.Caller, error) {
	who, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := access.RequireRole(who, role); err != nil {
		return nil, err
	}
	if _, err := access.ActiveMember(ctx, c.dir, who); err != nil {
		return nil, err
	}
	return who, nil
}

func getProcess(stub ledger.Stub, id string) (*model.Process, error) {
	k, err := ledger.Key(stub, keyProcess, id)
	if err != nil {
		return nil, err
	}
	var p model.Process
	if err := ledger.MustGet(stub, k, &p, "process "+id); err != nil {
		return nil, err
	}
	return &p, nil
}

func putProcess(stub ledger.Stub, p *model.Process) error {
	k, err := ledger.Key(stub, keyProcess, p.ID)
	if err != nil {
		return err
	}
	return ledger.Put(stub, k, p)
}

func getStep(stub ledger.Stub, process, key string) (*model.Step, error) {
	k, err := ledger.Key(stub, keyStep, process, key)
	if err != nil {
		return nil, err
	}
	var s model.Step
	if err := ledger.MustGet(stub, k, &s, "step "+key+" of process "+process); err != nil {
		return nil, err
	}
	return &s, nil
}

func putStep(stub ledger.Stub, s *model.Step) error {
	k, err := ledger.Key(stub, keyStep, s.Process, s.Key)
	if err != nil {
		return err
	}
	return ledger.Put(stub, k, s)
}

// processSteps reads every step of p in the order of its definition.
func processSteps(stub ledger.Stub, p *model.Process) ([]*model.Step, error) {
	steps := make([]*model.Step, 0, len(p.StepKeys))
	for _, key := range p.StepKeys {
		s, err := getStep(stub, p.ID, key)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	return steps, nil
}
