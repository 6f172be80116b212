// Package devnet runs a Fabric-compatible network in one process: the gRPC
// Gateway and Deliver services of a Fabric 3.1 peer over one ledger per channel
// (package ledger: ordering, validation, blocks and persistent state), with X.509
// MSP identities generated on first start (package cryptogen) and verified on
// every request (package msp). The unmodified fabric-gateway client cannot tell
// it from a small Fabric network; only its endpoint, TLS root and MSP differ.
//
// Start embeds a network in a Go program (kaiban dev, tests); the kaiban-net
// devnet command runs one as a process. Verify checks a stopped network's data.
package devnet
