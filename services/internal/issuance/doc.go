// Package issuance is unified issuance (统一出件, DB37/T 4431-2021 7.6.7): the
// results of an establishment — the business licence and the seal,
// social-security, medical-insurance, housing-fund, bank and tax notices —
// rendered as PDF, signed with SM2 by the issuing department, issued into the
// company's digital locker and recorded on chain as one bundle; and the
// public verification of a document or of its QR payload against the chain.
//
// Two signatures protect a document:
//
//   - The QR payload printed on the document carries the asset ID, the USCC,
//     the SM3 digest of the document's fields (canonical JSON) and the issuing
//     department's SM2 signature over them (ActionPayload). It survives
//     printing and re-scanning: whoever holds the paper can check it.
//   - The PDF file as issued is digested with SM3 and the department signs
//     that digest (ActionPDF); the digest is also the asset's content digest on
//     chain, which the issuer signed again when the asset was issued. A PDF
//     that differs by one byte is no longer the issued document.
//
// Verification checks the signature, then the asset's status on chain
// (available, revoked, abolished): a genuine document of a revoked asset is
// reported as such, not as valid.
package issuance
