package gm

import (
	"crypto/cipher"
	"crypto/rand"
	"fmt"

	"github.com/emmansun/gmsm/padding"
	"github.com/emmansun/gmsm/sm4"
)

const (
	// SM4KeySize is the length in bytes of an SM4 key.
	SM4KeySize = 16

	// GCMNonceSize is the length in bytes of the nonce that prefixes the
	// output of SealGCM (RFC 8998).
	GCMNonceSize = 12

	// GCMTagSize is the length in bytes of the authentication tag that ends
	// the output of SealGCM (RFC 8998).
	GCMTagSize = 16
)

// pkcs7 checks CBC padding in constant time, so that timing does not turn
// DecryptCBC into a padding oracle.
var pkcs7 = padding.NewPKCS7Padding(sm4.BlockSize)

// NewDataKey returns a fresh random SM4 key. Use one per document: SealGCM
// draws 96-bit random nonces, which stay collision-free only while a key
// seals far fewer than 2^32 messages.
func NewDataKey() ([]byte, error) {
	key := make([]byte, SM4KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("gm: new data key: %w", err)
	}
	return key, nil
}

// SealGCM encrypts and authenticates plaintext, and authenticates
// additionalData, with SM4-GCM under key. It returns
// nonce(12)‖ciphertext‖tag(16) with a fresh random nonce. Bind the ciphertext
// to its context (for example the asset ID) through additionalData.
func SealGCM(key, plaintext, additionalData []byte) ([]byte, error) {
	nonce := make([]byte, GCMNonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("gm: seal SM4-GCM: %w", err)
	}
	return sealGCM(key, nonce, plaintext, additionalData)
}

// sealGCM takes the nonce as an argument so that the RFC 8998 known-answer
// test exercises the same code as SealGCM; it is not exported because a
// caller-chosen nonce, reused once, breaks GCM.
func sealGCM(key, nonce, plaintext, additionalData []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("gm: seal SM4-GCM: %w", err)
	}
	out := make([]byte, len(nonce), len(nonce)+len(plaintext)+aead.Overhead())
	copy(out, nonce)
	return aead.Seal(out, nonce, plaintext, additionalData), nil
}

// OpenGCM authenticates and decrypts sealed, the output of SealGCM, with the
// same key and additionalData. Any mismatch returns an error wrapping
// ErrDecrypt and no plaintext.
func OpenGCM(key, sealed, additionalData []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("gm: open SM4-GCM: %w", err)
	}
	if len(sealed) < GCMNonceSize+GCMTagSize {
		return nil, fmt.Errorf("gm: open SM4-GCM: %w: %d bytes is shorter than nonce and tag (%d)",
			ErrDecrypt, len(sealed), GCMNonceSize+GCMTagSize)
	}
	plaintext, err := aead.Open(nil, sealed[:GCMNonceSize], sealed[GCMNonceSize:], additionalData)
	if err != nil {
		return nil, fmt.Errorf("gm: open SM4-GCM: %w", ErrDecrypt)
	}
	return plaintext, nil
}

// EncryptCBC encrypts plaintext with SM4-CBC and PKCS#7 padding under key,
// returning iv(16)‖ciphertext with a random IV. It exists only to exchange
// data with systems that cannot do GCM: CBC does not detect tampering, so
// content must be sealed with SealGCM.
func EncryptCBC(key, plaintext []byte) ([]byte, error) {
	block, err := newBlock(key)
	if err != nil {
		return nil, fmt.Errorf("gm: encrypt SM4-CBC: %w", err)
	}
	pad := sm4.BlockSize - len(plaintext)%sm4.BlockSize
	out := make([]byte, sm4.BlockSize+len(plaintext)+pad)
	iv, body := out[:sm4.BlockSize], out[sm4.BlockSize:]
	if _, err := rand.Read(iv); err != nil {
		return nil, fmt.Errorf("gm: encrypt SM4-CBC: %w", err)
	}
	copy(body, plaintext)
	for i := len(plaintext); i < len(body); i++ {
		body[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(body, body)
	return out, nil
}

// DecryptCBC decrypts iv‖ciphertext made by EncryptCBC (or a peer using the
// same layout) and removes the PKCS#7 padding. A wrong length or bad padding
// returns an error wrapping ErrDecrypt; a wrong key or tampered ciphertext
// may instead decrypt to garbage, which is why content uses GCM.
func DecryptCBC(key, data []byte) ([]byte, error) {
	block, err := newBlock(key)
	if err != nil {
		return nil, fmt.Errorf("gm: decrypt SM4-CBC: %w", err)
	}
	if len(data) < 2*sm4.BlockSize || len(data)%sm4.BlockSize != 0 {
		return nil, fmt.Errorf("gm: decrypt SM4-CBC: %w: %d bytes is not an IV and whole blocks",
			ErrDecrypt, len(data))
	}
	plaintext := make([]byte, len(data)-sm4.BlockSize)
	cipher.NewCBCDecrypter(block, data[:sm4.BlockSize]).CryptBlocks(plaintext, data[sm4.BlockSize:])
	unpadded, err := pkcs7.ConstantTimeUnpad(plaintext)
	if err != nil {
		return nil, fmt.Errorf("gm: decrypt SM4-CBC: %w", ErrDecrypt)
	}
	return unpadded, nil
}

// newBlock returns the SM4 cipher for key; key size is the only thing
// sm4.NewCipher checks, hence the one sentinel.
func newBlock(key []byte) (cipher.Block, error) {
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBadKeySize, len(key), SM4KeySize)
	}
	return block, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	// gmsm's SM4 block implements crypto/cipher's gcmAble interface, so this
	// returns its assembly GCM where the CPU has one.
	return cipher.NewGCM(block)
}
