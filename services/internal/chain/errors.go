package chain

import (
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Step names the stage of a ledger call, mirroring the error types of
// fabric-gateway (EndorseError, SubmitError, CommitStatusError, CommitError).
type Step string

// The steps of a call.
const (
	// StepEvaluate is a query on a peer.
	StepEvaluate Step = "evaluate"
	// StepEndorse is the simulation and endorsement of a transaction. Nothing
	// has been sent to the ordering service: the transaction cannot commit.
	StepEndorse Step = "endorse"
	// StepSubmit is the hand-over of the endorsed transaction to the ordering
	// service. It may or may not have reached it.
	StepSubmit Step = "submit"
	// StepCommitStatus is waiting for the transaction's commit. The
	// transaction may or may not commit.
	StepCommitStatus Step = "commit status"
	// StepCommit is a transaction that committed as invalid (Validation says
	// why): it wrote nothing.
	StepCommit Step = "commit"
)

// Error is a failed ledger call. It unwraps to the fabric-gateway error (and
// so to the gRPC status and any context error) and, when the chaincode refused
// the transaction with a classified error, to that *model.Error: callers write
// errors.Is(err, model.ErrDenied) or errors.As(err, &modelErr).
type Error struct {
	// Step is the stage that failed.
	Step Step
	// TxID is the transaction's ID; a query has one too.
	TxID string
	// Chaincode and Function name the call, Chaincode as deployed.
	Chaincode, Function string
	// Refused reports that the chaincode itself returned an error: the request
	// reached it and it said no. Code classifies the refusal when the
	// chaincode used a model.Code (every Kaiban chaincode does); Message is the
	// chaincode's message after the code.
	Refused bool
	Code    model.Code
	Message string
	// Validation is the validation code of a transaction that committed as
	// invalid (StepCommit).
	Validation peer.TxValidationCode
	// Err is the fabric-gateway or gRPC error.
	Err error
}

// Error describes the call, the step and the cause in one line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chain: %s.%s: %s failed", e.Chaincode, e.Function, e.Step)
	if e.TxID != "" {
		fmt.Fprintf(&b, " (tx %s)", e.TxID)
	}
	b.WriteString(": ")
	switch {
	case e.Step == StepCommit:
		fmt.Fprintf(&b, "transaction invalid: %s", e.Validation)
	case e.Refused && e.Code != "":
		fmt.Fprintf(&b, "%s: %s", e.Code, e.Message)
	case e.Refused:
		fmt.Fprintf(&b, "chaincode error: %s", e.Message)
	default:
		b.WriteString(describe(e.Err))
	}
	return b.String()
}

// Unwrap returns the underlying error and, for a classified refusal, the
// chaincode's *model.Error.
func (e *Error) Unwrap() []error {
	errs := []error{e.Err}
	if e.Code != "" {
		errs = append(errs, &model.Error{Code: e.Code, Msg: e.Message})
	}
	return errs
}

// GRPCStatus returns the gRPC status of the failed call, so status.Code(err)
// works through any wrapping. A commit failure has none.
func (e *Error) GRPCStatus() *status.Status {
	if e.Step == StepCommit || e.Err == nil {
		return nil
	}
	if st, ok := status.FromError(e.Err); ok {
		return st
	}
	return status.FromContextError(e.Err)
}

// Conflict reports a transaction invalidated by a concurrent one (MVCC or
// phantom read conflict): it wrote nothing, and endorsing it again is safe.
func (e *Error) Conflict() bool {
	return e.Step == StepCommit && (e.Validation == peer.TxValidationCode_MVCC_READ_CONFLICT ||
		e.Validation == peer.TxValidationCode_PHANTOM_READ_CONFLICT)
}

// Transient reports whether the same call may succeed if tried again: a
// transport failure or timeout, an outcome still unknown (submit, commit
// status) or an MVCC conflict. A chaincode refusal is not transient — the
// chaincode saw the request and said no — although a NOT_FOUND or STATE
// refusal may change once other transactions commit.
func (e *Error) Transient() bool {
	switch {
	case e.Step == StepCommit:
		return e.Conflict()
	case e.Refused:
		return false
	case e.Step == StepCommitStatus:
		return true
	}
	st := e.GRPCStatus()
	if st == nil {
		return false
	}
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted,
		codes.Canceled, codes.Internal, codes.Unknown,
		// Fabric's gateway answers FailedPrecondition when no peer of an
		// endorsing organisation is available, as while peers restart.
		codes.FailedPrecondition:
		return true
	}
	return false
}

// Unknown reports whether the transaction may have reached the ordering
// service without its outcome being known (a failed submit or commit status
// request). Sending the same transaction again is then safe: a second copy
// commits as DUPLICATE_TXID and writes nothing.
func (e *Error) Unknown() bool {
	return e.Step == StepSubmit || e.Step == StepCommitStatus
}

// newError classifies err from step of a call.
func newError(step Step, txID, chaincode, function string, err error) *Error {
	e := &Error{Step: step, TxID: txID, Chaincode: chaincode, Function: function, Err: err}
	if step == StepEvaluate || step == StepEndorse {
		if msg, ok := chaincodeMessage(err); ok {
			e.Refused, e.Message = true, msg
			if me := model.ParseError(msg); me != nil {
				e.Code, e.Message = me.Code, me.Msg
			}
		}
	}
	return e
}

// chaincodeResponse is how Fabric (and devnet) report a chaincode's error
// response: "chaincode response 500, <message>".
const chaincodeResponse = "chaincode response "

// chaincodeMessage finds a chaincode's own error message in a gateway error:
// in an ErrorDetail of the status (endorse) or in the status message
// (evaluate).
func chaincodeMessage(err error) (string, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return "", false
	}
	msgs := []string{}
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			msgs = append(msgs, ed.GetMessage())
		}
	}
	msgs = append(msgs, st.Message())
	for _, m := range msgs {
		i := strings.Index(m, chaincodeResponse)
		if i < 0 {
			continue
		}
		rest := m[i+len(chaincodeResponse):]
		if j := strings.Index(rest, ", "); j >= 0 {
			return rest[j+2:], true
		}
		return rest, true
	}
	return "", false
}

// describe renders a gRPC error as its code, message and detail messages on
// one line (fabric-gateway's own Error spreads details over several lines).
func describe(err error) string {
	if err == nil {
		return "unknown error"
	}
	st, ok := status.FromError(err)
	if !ok {
		return err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", st.Code(), st.Message())
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			fmt.Fprintf(&b, "; %s: %s", ed.GetMspId(), ed.GetMessage())
		}
	}
	return b.String()
}
