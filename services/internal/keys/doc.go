// Package keys is Kaiban's key service (DB37/T 4431-2021 7.4.3 b, c and d):
// SM2 key pairs for trusted subjects and departments, held in custody under
// their digital-locker unlock passwords; password change; rotation; k-of-n
// backup shares held by departments and recovery from any k of them; and the
// operations built on the keys — signing and verification, data-key
// wrapping for assets in both encryption modes of 7.4.4 d 5 and 6, and SM3
// digests.
//
// Custody. Each key version's secret — the PKCS#8 SM2 private key and an
// SM4 "account key" for symmetric mode — is sealed with SM4-GCM under a key
// derived from the unlock password by PBKDF2-HMAC-SM3 (KDF) with a random
// salt per seal, the additional data binding the owner, key ID, version and
// KDF parameters (Envelope). The parameters are stored with the ciphertext;
// an envelope weaker than the service's KDF is re-sealed on its next unlock.
// A wrong password costs a full derivation and returns ErrBadPassword;
// MaxFailures of them in a row lock the owner out for a cool-down
// (Lockout), counted in PostgreSQL.
//
// Unlocked keys are SoftKey values that live for one operation and are
// zeroed by Destroy; nothing prints or stores them. The service signs only
// through the Signer interface and decrypts through Decrypter, which a
// PKCS#11 or GM/T 0018 SDF hardware module implements later.
//
// Backup and recovery. Split joins the secrets of all of an owner's keys,
// splits them with Shamir's scheme over GF(256) (Split, Combine) and
// encrypts each share to one department's SM2 key; rotation renews the
// backup for the new key. A Recovery, opened with the owner's new password,
// collects the shares the departments decrypt with their own keys, checks
// each against a digest taken at the split, and once the threshold is met
// re-seals every recovered key, checked against its public key, under the
// new password.
//
// docs/keys.md is the operator's description: parameters, their reasons and
// the measured costs.
package keys
