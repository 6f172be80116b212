// Package loadtest drives closed-loop load through the unmodified
// fabric-gateway client and measures it. The devnet benchmarks and the real
// Fabric anchor of issue #3 (kaibannet's BenchmarkFabric_*) share it, so that
// the two are compared under the same driver and the same transactions: a
// business licence issued (Licences: IssueAsset, endorse, submit, wait for
// the commit) or the anchor's one PutState (Puts), each client starting its
// next transaction when the previous one is committed.
package loadtest
