// Package gm is the national-cryptography (国密, "guomi") toolkit shared by the
// Kaiban chaincodes and services. It wraps github.com/emmansun/gmsm behind a
// small API whose choices — user ID, encodings, cipher modes — are fixed here,
// once, so that every component produces bytes every other component (and any
// third-party 国密 implementation) can check.
//
// Standards each function follows:
//
//   - SM3 (GB/T 32905-2016): [Sum], [Hex], [NewHash], [Commitment],
//     [VerifyCommitment], [Fingerprint]. [HMAC] is the RFC 2104 construction
//     over SM3, checked against the GM/T 0042-2015 Appendix D.3 vectors.
//   - SM2 (GB/T 32918.1–.5-2016/2017): [GenerateKey] draws private keys in
//     [1, n-2] (part 1); [Sign], [Verify] and [VerifySignature] hash
//     Z_A‖M with SM3, Z_A computed from [DefaultUserID] (part 2), and encode
//     signatures as the DER SEQUENCE{r, s} of GM/T 0009; [Encrypt] and
//     [Decrypt] implement public-key encryption (part 4) with the GM/T 0009
//     ASN.1 ciphertext SEQUENCE{x, y, hash C3, ciphertext C2}, i.e. C1C3C2
//     order. All of them use the recommended curve sm2p256v1 of part 5.
//   - SM2 key and certificate encodings: PKCS#8, SEC 1 ("EC PRIVATE KEY") and
//     PKIX SubjectPublicKeyInfo carrying the sm2p256v1 OID 1.2.156.10197.1.301,
//     and X.509 certificates signed SM2-with-SM3 (OID 1.2.156.10197.1.501) as
//     GM/T 0006 and GM/T 0015 specify: [MarshalPrivateKeyPEM],
//     [ParsePrivateKeyPEM], [MarshalPublicKeyPEM], [ParsePublicKeyPEM],
//     [NewCA], [IssueCertificate], [VerifyCertificate].
//   - SM4 (GB/T 32907-2016): [SealGCM] and [OpenGCM] use GCM with a 12-byte
//     nonce and 16-byte tag exactly as RFC 8998 defines SM4-GCM for TLS 1.3;
//     [EncryptCBC] and [DecryptCBC] use CBC (GB/T 17964-2008) with PKCS#7
//     padding.
//
// Content is encrypted with SM4-GCM, never with CBC: GCM authenticates the
// ciphertext and the additional data (for example the asset ID the document
// belongs to), so a modified, truncated or transplanted ciphertext fails to
// open instead of decrypting to attacker-influenced plaintext, and there is no
// padding for a padding oracle to probe. CBC is provided only to exchange data
// with systems that cannot do GCM; it must not be used for new content.
//
// The intended envelope for a document is: [NewDataKey] for a fresh SM4 key,
// [SealGCM] for the content, and [Encrypt] of the data key to each recipient's
// SM2 public key.
package gm
