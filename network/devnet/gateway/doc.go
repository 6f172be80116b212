// Package gateway is devnet's gateway.Gateway gRPC service: Evaluate, Endorse,
// Submit, CommitStatus and ChaincodeEvents, answering the fabric-gateway client
// as a Fabric 3.1 peer's gateway does (internal/pkg/gateway in Fabric), with the
// same gRPC status codes, messages and ErrorDetail entries for each failure.
//
// Where a Fabric gateway sends a proposal to peers of several organisations,
// devnet checks it once as the endorsing peer would (header, transaction ID,
// creator identity and signature, duplicate transaction ID), simulates it once
// with package txsim against a snapshot of the channel's committed state, and
// has the peer identity of each endorsing organisation sign the proposal
// response payload. The prepared transaction envelope is assembled exactly as
// Fabric's gateway assembles it.
package gateway
