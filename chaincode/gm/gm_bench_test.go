package gm

import (
	"testing"
)

func BenchmarkSM2Sign(b *testing.B) {
	priv := annexPrivateKey(b)
	msg := make([]byte, 256)
	for b.Loop() {
		if _, err := Sign(priv, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Verify(b *testing.B) {
	priv := annexPrivateKey(b)
	msg := make([]byte, 256)
	sig, err := Sign(priv, msg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !Verify(&priv.PublicKey, msg, sig) {
			b.Fatal("signature does not verify")
		}
	}
}

// The SM2 encryption benchmarks wrap a data key, the one thing SM2
// encryption is used for here.
func BenchmarkSM2Encrypt(b *testing.B) {
	priv := annexPrivateKey(b)
	dataKey := make([]byte, SM4KeySize)
	for b.Loop() {
		if _, err := Encrypt(&priv.PublicKey, dataKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Decrypt(b *testing.B) {
	priv := annexPrivateKey(b)
	ct, err := Encrypt(&priv.PublicKey, make([]byte, SM4KeySize))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Decrypt(priv, ct); err != nil {
			b.Fatal(err)
		}
	}
}

var benchSizes = []struct {
	name string
	n    int
}{
	{"1KiB", 1 << 10},
	{"1MiB", 1 << 20},
}

func BenchmarkSM3(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			data := make([]byte, size.n)
			b.SetBytes(int64(size.n))
			for b.Loop() {
				Sum(data)
			}
		})
	}
}

func BenchmarkHMACSM3(b *testing.B) {
	key := make([]byte, 32)
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			data := make([]byte, size.n)
			b.SetBytes(int64(size.n))
			for b.Loop() {
				HMAC(key, data)
			}
		})
	}
}

func BenchmarkSM4GCMSeal(b *testing.B) {
	key := decodeHex(b, sm4Key)
	pt := make([]byte, 1<<20)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := SealGCM(key, pt, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM4GCMOpen(b *testing.B) {
	key := decodeHex(b, sm4Key)
	pt := make([]byte, 1<<20)
	sealed, err := SealGCM(key, pt, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := OpenGCM(key, sealed, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM4CBC(b *testing.B) {
	key := decodeHex(b, sm4Key)
	pt := make([]byte, 1<<20)
	ct, err := EncryptCBC(key, pt)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Encrypt1MiB", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		for b.Loop() {
			if _, err := EncryptCBC(key, pt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decrypt1MiB", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		for b.Loop() {
			if _, err := DecryptCBC(key, ct); err != nil {
				b.Fatal(err)
			}
		}
	})
}
