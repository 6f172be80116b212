package gm

import (
	"errors"
	"testing"
)

// Interoperability vectors made with OpenSSL 3.0.19 (a throwaway key, not a
// secret). The key came from
//
//	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2   # PKCS#8
//	openssl ec                                                      # SEC 1
//
// and the signature and ciphertext from
//
//	openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678
//	openssl pkeyutl -encrypt -pubin
//
// The other direction (OpenSSL verifying Sign, decrypting Encrypt, reading
// MarshalPrivateKeyPEM and NewCA output, and decrypting EncryptCBC with
// `openssl enc -d -sm4-cbc`) was checked by hand when this package was
// written.
const (
	opensslPKCS8 = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgH952HjDjOG4bS7/9
VAyxtSuti5owrXaBPWvcgfqx/VyhRANCAAQ5laBy588VQV9efLj1AmR63skBPqFs
YNeIwxkkd9yQYSsu7z/wBJteT4irHE2v5U27VYLi7hDkUY5M+wChz/3s
-----END PRIVATE KEY-----
`
	opensslSEC1 = `-----BEGIN SM2 PRIVATE KEY-----
MHcCAQEEIB/edh4w4zhuG0u//VQMsbUrrYuaMK12gT1r3IH6sf1coAoGCCqBHM9V
AYItoUQDQgAEOZWgcufPFUFfXny49QJket7JAT6hbGDXiMMZJHfckGErLu8/8ASb
Xk+IqxxNr+VNu1WC4u4Q5FGOTPsAoc/97A==
-----END SM2 PRIVATE KEY-----
`
	opensslMessage   = "kaiban interop"
	opensslSignature = "304502210081a0a1567d0b2e549837433853fbd865afafc7a0a7c075958e1132fee12365f702" +
		"2063d3736e092528ade528f6e56a48bf909d7e6a2b11ae3b545efc6950f4998065"
	opensslPlaintext  = "data key 16 byte"
	opensslCiphertext = "307902206249545f9b779046beab1e89042a9e35dc2269a6570950e82f551e6ccaef5704" +
		"022100a405cd24cc609ed7f78b88972ad96949751e76da32de76ba0c37e576eef4e1c5" +
		"0420057356d14bffc4626e599b5b94bb7b34c50e4456d6d3cd46c21bba4c7d4c28db" +
		"041045dbb02ebacd687e9ad63bf31a3309e4"
)

func TestParsePrivateKeyPEM_OpenSSLKeys(t *testing.T) {
	a, err := ParsePrivateKeyPEM([]byte(opensslPKCS8))
	if err != nil {
		t.Fatalf("PKCS#8: %v", err)
	}
	b, err := ParsePrivateKeyPEM([]byte(opensslSEC1))
	if err != nil {
		t.Fatalf("SEC 1: %v", err)
	}
	if !a.Equal(b) {
		t.Error("the two encodings of one key parse to different keys")
	}
}

func TestVerify_OpenSSLSignature(t *testing.T) {
	priv, err := ParsePrivateKeyPEM([]byte(opensslPKCS8))
	if err != nil {
		t.Fatal(err)
	}
	sig := decodeHex(t, opensslSignature)
	if err := VerifySignature(&priv.PublicKey, []byte(opensslMessage), sig); err != nil {
		t.Errorf("OpenSSL signature does not verify: %v", err)
	}
	if err := VerifySignature(&priv.PublicKey, []byte(opensslMessage+"!"), sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("OpenSSL signature verifies for another message: %v", err)
	}
}

func TestDecrypt_OpenSSLCiphertext(t *testing.T) {
	priv, err := ParsePrivateKeyPEM([]byte(opensslSEC1))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(priv, decodeHex(t, opensslCiphertext))
	if err != nil {
		t.Fatalf("OpenSSL ciphertext does not decrypt: %v", err)
	}
	if string(got) != opensslPlaintext {
		t.Errorf("Decrypt = %q, want %q", got, opensslPlaintext)
	}
}
