// Package loadtest drives closed-loop load through the unmodified
// fabric-gateway client and measures it. The devnet benchmarks and the real
// Fabric anchor of issue #3 (kaibannet's BenchmarkFabric_*) share it, so that
// the two are compared under the same driver and the same transaction: each
// client issues a business licence (endorse, submit, wait for the commit),
// then the next one.
package loadtest
