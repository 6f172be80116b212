package gm

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"testing"
)

// The fuzz targets cover every function that parses caller input. Each must
// never panic; where a parse succeeds, re-encoding must round-trip.

func FuzzOpenGCM(f *testing.F) {
	key := decodeHex(f, sm4Key)
	sealed, err := SealGCM(key, []byte("plaintext"), []byte("aad"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(key, sealed, []byte("aad"))
	f.Add(key, sealed[:GCMNonceSize+GCMTagSize], []byte(nil))
	f.Add([]byte("short key"), sealed, []byte("aad"))
	f.Fuzz(func(t *testing.T, key, sealed, aad []byte) {
		pt, err := OpenGCM(key, sealed, aad)
		if err != nil && pt != nil {
			t.Errorf("OpenGCM returned plaintext with error %v", err)
		}
		if err != nil && !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrBadKeySize) {
			t.Errorf("OpenGCM error %v wraps neither ErrDecrypt nor ErrBadKeySize", err)
		}
	})
}

func FuzzDecryptCBC(f *testing.F) {
	key := decodeHex(f, sm4Key)
	ct, err := EncryptCBC(key, []byte("plaintext"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(key, ct)
	f.Add(key, ct[:len(ct)-1])
	f.Add(key, make([]byte, 32))
	f.Fuzz(func(t *testing.T, key, data []byte) {
		if _, err := DecryptCBC(key, data); err != nil && !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrBadKeySize) {
			t.Errorf("DecryptCBC error %v wraps neither ErrDecrypt nor ErrBadKeySize", err)
		}
	})
}

func FuzzDecrypt(f *testing.F) {
	priv := annexPrivateKey(f)
	ct, err := Encrypt(&priv.PublicKey, []byte("0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ct)
	f.Add(ct[:len(ct)-1])
	f.Add([]byte{asn1Sequence, 0})
	f.Add(append([]byte{0x04}, make([]byte, 96)...))
	f.Fuzz(func(t *testing.T, ct []byte) {
		if _, err := Decrypt(priv, ct); err != nil && !errors.Is(err, ErrDecrypt) {
			t.Errorf("Decrypt error %v does not wrap ErrDecrypt", err)
		}
	})
}

func FuzzVerify(f *testing.F) {
	priv := annexPrivateKey(f)
	sig, err := Sign(priv, []byte("message"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("message"), sig)
	f.Add([]byte("message"), sig[:len(sig)-1])
	f.Add([]byte{}, []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, msg, sig []byte) {
		if err := VerifySignature(&priv.PublicKey, msg, sig); err != nil && !errors.Is(err, ErrBadSignature) {
			t.Errorf("VerifySignature error %v does not wrap ErrBadSignature", err)
		}
	})
}

func FuzzVerifyCommitment(f *testing.F) {
	f.Add([]byte("salt"), []byte("data"), Commitment([]byte("salt"), []byte("data")))
	f.Add([]byte{}, []byte{}, "zz")
	f.Fuzz(func(t *testing.T, salt, data []byte, commitment string) {
		VerifyCommitment(salt, data, commitment)
		if !VerifyCommitment(salt, data, Commitment(salt, data)) {
			t.Error("a fresh commitment does not verify")
		}
	})
}

// pemTypes lets the PEM fuzzers wrap raw DER, so that mutations reach the
// ASN.1 parsers instead of dying in base64; index len(pemTypes) means
// "use the bytes as they are".
var pemTypes = []string{pemPrivateKey, pemECPrivateKey, pemPublicKey, pemCertificate}

func fuzzPEMInput(der []byte, kind uint8) []byte {
	if int(kind) >= len(pemTypes) {
		return der
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemTypes[kind], Bytes: der})
}

func FuzzParsePrivateKeyPEM(f *testing.F) {
	priv := annexPrivateKey(f)
	data, err := MarshalPrivateKeyPEM(priv)
	if err != nil {
		f.Fatal(err)
	}
	block, _ := pem.Decode(data)
	f.Add(block.Bytes, uint8(0))
	f.Add(block.Bytes, uint8(1))
	f.Add(data, uint8(len(pemTypes)))
	f.Fuzz(func(t *testing.T, der []byte, kind uint8) {
		priv, err := ParsePrivateKeyPEM(fuzzPEMInput(der, kind))
		if err != nil {
			return
		}
		again, err := MarshalPrivateKeyPEM(priv)
		if err != nil {
			t.Fatalf("parsed key does not marshal: %v", err)
		}
		back, err := ParsePrivateKeyPEM(again)
		if err != nil || !back.Equal(priv) {
			t.Fatalf("parsed key does not round-trip: %v", err)
		}
	})
}

func FuzzParsePublicKeyPEM(f *testing.F) {
	priv := annexPrivateKey(f)
	data, err := MarshalPublicKeyPEM(&priv.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	block, _ := pem.Decode(data)
	f.Add(block.Bytes, uint8(2))
	f.Add(data, uint8(len(pemTypes)))
	f.Fuzz(func(t *testing.T, der []byte, kind uint8) {
		pub, err := ParsePublicKeyPEM(fuzzPEMInput(der, kind))
		if err != nil {
			return
		}
		again, err := MarshalPublicKeyPEM(pub)
		if err != nil {
			t.Fatalf("parsed key does not marshal: %v", err)
		}
		back, err := ParsePublicKeyPEM(again)
		if err != nil || !back.Equal(pub) {
			t.Fatalf("parsed key does not round-trip: %v", err)
		}
		if _, err := Fingerprint(pub); err != nil {
			t.Fatalf("parsed key has no fingerprint: %v", err)
		}
	})
}

func FuzzParseCertificatePEM(f *testing.F) {
	ca, _, err := NewCA(pkix.Name{CommonName: "Fuzz Root"}, certNotBefore, certNotAfter)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ca.Raw, uint8(3))
	f.Add(MarshalCertificatePEM(ca), uint8(len(pemTypes)))
	f.Fuzz(func(t *testing.T, der []byte, kind uint8) {
		cert, err := ParseCertificatePEM(fuzzPEMInput(der, kind))
		if err != nil {
			return
		}
		back, err := ParseCertificatePEM(MarshalCertificatePEM(cert))
		if err != nil || !bytes.Equal(back.Raw, cert.Raw) {
			t.Fatalf("parsed certificate does not round-trip: %v", err)
		}
		// Neither may panic on whatever the certificate holds.
		CertificatePublicKey(cert)
		VerifyCertificate(cert, nil, WithTime(certNow))
	})
}
