// Package model is the one definition of what Kaiban keeps on chain: alliance
// members and nodes, trusted subjects, asset types and assets, grants,
// delegations and access records, process instances, steps, interventions and
// issuance bundles, together with the requests that create them, the events
// that announce them and the rules that derive their IDs.
//
// Chaincodes and services both import this package, so a JSON shape is
// declared once. Three conventions hold throughout:
//
//   - No plain personal data. Identity data is kept off chain and only a
//     salted SM3 commitment of it is recorded (GB/T 35273; a ledger cannot
//     forget).
//   - IDs derive from business keys (DeriveID), so a retried submit finds the
//     record it already wrote instead of writing a second one.
//   - A subject or an issuing member that acts signs the canonical bytes of its
//     request (Canonical) with SM2; the chaincode verifies the signature over
//     SigningMessage(action, bytes) and keeps it with the record, so the act can
//     be proven later (non-repudiation, 7.1 d).
package model
