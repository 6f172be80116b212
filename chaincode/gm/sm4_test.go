package gm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm4"
)

// GB/T 32907-2016 Appendix A.
const (
	sm4Key       = "0123456789abcdeffedcba9876543210"
	sm4Cipher1   = "681edf34d206965e86b3e94f536e4246"
	sm4CipherMil = "595298c7c6fd271f0402f804c33d3f66"
)

func TestSM4_GBT32907SingleBlock(t *testing.T) {
	block, err := newBlock(decodeHex(t, sm4Key))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, sm4.BlockSize)
	block.Encrypt(out, decodeHex(t, sm4Key))
	if got := hex.EncodeToString(out); got != sm4Cipher1 {
		t.Errorf("SM4(key, key) = %s, want %s", got, sm4Cipher1)
	}
	block.Decrypt(out, out)
	if got := hex.EncodeToString(out); got != sm4Key {
		t.Errorf("decrypt = %s, want %s", got, sm4Key)
	}
}

// The million-fold iteration takes about 0.13 s with gmsm's assembly, cheap
// enough to run even under -short.
func TestSM4_GBT32907MillionIterations(t *testing.T) {
	block, err := newBlock(decodeHex(t, sm4Key))
	if err != nil {
		t.Fatal(err)
	}
	buf := decodeHex(t, sm4Key)
	for range 1_000_000 {
		block.Encrypt(buf, buf)
	}
	if got := hex.EncodeToString(buf); got != sm4CipherMil {
		t.Errorf("SM4^1000000 = %s, want %s", got, sm4CipherMil)
	}
}

// RFC 8998 Appendix A.1, through the same sealGCM that SealGCM uses.
func TestSealGCM_RFC8998Vector(t *testing.T) {
	key := decodeHex(t, "0123456789ABCDEFFEDCBA9876543210")
	nonce := decodeHex(t, "00001234567800000000ABCD")
	plaintext := decodeHex(t, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"+
		"EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
	aad := decodeHex(t, "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
	ciphertext := "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735" +
		"D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
	tag := "83DE3541E4C2B58177E065A9BF7B62EC"
	want := decodeHex(t, "00001234567800000000ABCD"+ciphertext+tag)

	sealed, err := sealGCM(key, nonce, plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sealed, want) {
		t.Errorf("sealGCM =\n%X\nwant\n%X", sealed, want)
	}
	opened, err := OpenGCM(key, want, aad)
	if err != nil {
		t.Fatalf("OpenGCM of the RFC 8998 vector: %v", err)
	}
	if !bytes.Equal(opened, plaintext) {
		t.Error("OpenGCM of the RFC 8998 vector returned other plaintext")
	}
}

func TestSealGCM_RoundTrip(t *testing.T) {
	key, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != SM4KeySize {
		t.Fatalf("NewDataKey returned %d bytes", len(key))
	}
	for _, n := range []int{0, 1, 15, 16, 17, 4096} {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		sealed, err := SealGCM(key, pt, []byte("asset/1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != GCMNonceSize+n+GCMTagSize {
			t.Errorf("sealed %d bytes into %d, want %d", n, len(sealed), GCMNonceSize+n+GCMTagSize)
		}
		got, err := OpenGCM(key, sealed, []byte("asset/1"))
		if err != nil {
			t.Fatalf("OpenGCM(%d bytes): %v", n, err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("round trip of %d bytes changed the plaintext", n)
		}
	}
}

func TestSealGCM_NonceIsFresh(t *testing.T) {
	key := decodeHex(t, sm4Key)
	a, err := SealGCM(key, []byte("same"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SealGCM(key, []byte("same"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a[:GCMNonceSize], b[:GCMNonceSize]) {
		t.Error("two seals under one key reused a nonce")
	}
}

func TestOpenGCM_TamperFails(t *testing.T) {
	key := decodeHex(t, sm4Key)
	aad := []byte("asset/1")
	sealed, err := SealGCM(key, []byte("business licence scan"), aad)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := bytes.Clone(key)
	otherKey[0] ^= 1

	tests := []struct {
		name   string
		key    []byte
		sealed []byte
		aad    []byte
	}{
		{"nonce", key, flipByte(sealed, 0), aad},
		{"ciphertext", key, flipByte(sealed, GCMNonceSize), aad},
		{"tag", key, flipByte(sealed, len(sealed)-1), aad},
		{"additional data", key, sealed, []byte("asset/2")},
		{"additional data dropped", key, sealed, nil},
		{"other key", otherKey, sealed, aad},
		{"truncated", key, sealed[:len(sealed)-1], aad},
		{"tag only", key, sealed[GCMNonceSize:], aad},
		{"shorter than nonce and tag", key, sealed[:GCMNonceSize+GCMTagSize-1], aad},
		{"empty", key, nil, aad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := OpenGCM(tc.key, tc.sealed, tc.aad)
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("OpenGCM = %v, want ErrDecrypt", err)
			}
			if pt != nil {
				t.Errorf("OpenGCM returned plaintext %q with the error", pt)
			}
		})
	}
}

func TestSM4_BadKeySize(t *testing.T) {
	for _, n := range []int{0, 15, 17, 24, 32} {
		key := make([]byte, n)
		ops := map[string]func() error{
			"SealGCM":    func() error { _, err := SealGCM(key, []byte("p"), nil); return err },
			"OpenGCM":    func() error { _, err := OpenGCM(key, make([]byte, 64), nil); return err },
			"EncryptCBC": func() error { _, err := EncryptCBC(key, []byte("p")); return err },
			"DecryptCBC": func() error { _, err := DecryptCBC(key, make([]byte, 64)); return err },
		}
		for name, op := range ops {
			if err := op(); !errors.Is(err, ErrBadKeySize) {
				t.Errorf("%s with a %d-byte key = %v, want ErrBadKeySize", name, n, err)
			}
		}
	}
}

// TestEncryptCBC_Layout rebuilds the expected output block by block from the
// raw cipher: the GB/T 32907 vector gives the first block, since with an
// all-zero IV CBC's first block is a bare SM4 encryption.
func TestEncryptCBC_Layout(t *testing.T) {
	key := decodeHex(t, sm4Key)
	p1 := decodeHex(t, sm4Key)
	iv := make([]byte, sm4.BlockSize)

	block, err := newBlock(key)
	if err != nil {
		t.Fatal(err)
	}
	c1 := make([]byte, sm4.BlockSize)
	block.Encrypt(c1, p1)
	if hex.EncodeToString(c1) != sm4Cipher1 {
		t.Fatalf("first block %x, want %s", c1, sm4Cipher1)
	}
	// A whole block of padding (0x10 × 16), chained on c1.
	c2 := make([]byte, sm4.BlockSize)
	for i := range c2 {
		c2[i] = 0x10 ^ c1[i]
	}
	block.Encrypt(c2, c2)

	data := bytes.Join([][]byte{iv, c1, c2}, nil)
	got, err := DecryptCBC(key, data)
	if err != nil {
		t.Fatalf("DecryptCBC: %v", err)
	}
	if !bytes.Equal(got, p1) {
		t.Errorf("DecryptCBC = %x, want %x", got, p1)
	}
}

func TestEncryptCBC_RoundTrip(t *testing.T) {
	key, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 100} {
		pt := bytes.Repeat([]byte{'x'}, n)
		ct, err := EncryptCBC(key, pt)
		if err != nil {
			t.Fatal(err)
		}
		if want := sm4.BlockSize + (n/sm4.BlockSize+1)*sm4.BlockSize; len(ct) != want {
			t.Errorf("EncryptCBC(%d bytes) gave %d bytes, want %d", n, len(ct), want)
		}
		got, err := DecryptCBC(key, ct)
		if err != nil {
			t.Fatalf("DecryptCBC(%d bytes): %v", n, err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("round trip of %d bytes changed the plaintext", n)
		}
	}
}

func TestEncryptCBC_DoesNotWriteBeyondPlaintext(t *testing.T) {
	key := decodeHex(t, sm4Key)
	buf := []byte("0123456789abcdefSENTINEL")
	if _, err := EncryptCBC(key, buf[:16]); err != nil {
		t.Fatal(err)
	}
	if string(buf[16:]) != "SENTINEL" {
		t.Errorf("EncryptCBC wrote into the plaintext's spare capacity: %q", buf[16:])
	}
}

func TestDecryptCBC_BadInputFails(t *testing.T) {
	key := decodeHex(t, sm4Key)
	ct, err := EncryptCBC(key, []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	// Flipping the last byte of the first ciphertext block flips the last
	// byte of the padding block deterministically: 0x10 becomes 0x30.
	badPadding := bytes.Clone(ct)
	badPadding[2*sm4.BlockSize-1] ^= 0x20

	tests := []struct {
		name string
		data []byte
	}{
		{"bad padding", badPadding},
		{"IV only", ct[:sm4.BlockSize]},
		{"not whole blocks", ct[:len(ct)-1]},
		{"empty", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecryptCBC(key, tc.data); !errors.Is(err, ErrDecrypt) {
				t.Errorf("DecryptCBC = %v, want ErrDecrypt", err)
			}
		})
	}
}
