// Package chain is Kaiban's ledger client: the one package through which the
// services reach the chain, built on the unmodified fabric-gateway client so
// that devnet and a real Fabric network differ only in configuration.
//
// # Connecting
//
// [Connect] dials every organisation's gateway peer over gRPC (TLS with the
// peer's TLS root from the configuration; plaintext only for a devnet without
// TLS) and makes one fabric-gateway [client.Gateway] per identity. An
// organisation has a default identity and may have more, named, for example a
// window clerk or a supervisor whose certificates carry the kaiban.role
// attribute that the chaincodes check. Identities are addressed by reference:
// "OperatorMSP" is the organisation's default identity, "OperatorMSP/clerk" a
// named one. Signing is pluggable ([WithSigner]): the default signs with the
// ECDSA key of the Fabric MSP layout; an SM2 signer (GM Fabric) or an HSM
// plugs in without changing callers.
//
// # Calling
//
// [Contract.Evaluate] queries, [Contract.Submit] endorses, submits and waits
// for the commit, retrying a transaction that lost an MVCC race (a conflict
// writes nothing, so endorsing again is safe). [Contract.Endorse] and
// [Transaction.Submit] split a submit in two so that a caller can store the
// endorsed transaction before it is sent — the outbox does, so that a
// transaction whose fate is unknown after a crash is sent again under the same
// transaction ID and can never commit twice.
//
// Every failure is an [*Error] naming the step that failed (evaluate, endorse,
// submit, commit status, commit) with the transaction ID, the gRPC status and,
// when the chaincode itself refused, its classified [model.Error], so callers
// branch with errors.Is(err, model.ErrDenied) or errors.As instead of reading
// messages. [EvaluateJSON] and [SubmitJSON] decode results into model types.
//
// Timeouts are per step ([Timeouts]), each also bounded by the caller's
// context.
package chain
