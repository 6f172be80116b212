// Package kaibannet runs a Kaiban consortium on Hyperledger Fabric: the
// operations of DB37/T 4431-2021 Annex A as methods of Network, one per
// kaiban-net command — bring the nodes up and down (native processes from
// FABRIC_BIN or the official images), create the test and production
// channels, deploy, upgrade and promote the chaincodes as a service, admit a
// member organisation, add and remove peers and consenters, and report status.
//
// Every operation is idempotent and resumable: it looks at the network
// (channels an orderer or peer has joined, packages installed, definitions
// approved and committed, processes running) before each step and skips what
// is done, so running a command again after a failure continues where it
// stopped. Input is checked against network.yaml before anything changes.
package kaibannet
