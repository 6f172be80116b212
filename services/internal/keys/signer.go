package keys

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Signer signs with one SM2 private key it never reveals. Sign returns the
// GM/T 0009 DER signature of msg under gm.DefaultUserID (e = SM3(Z_A ‖ msg)),
// exactly what gm.Sign makes, so gm.Verify and the chaincodes check it.
//
// The service signs only through this interface. SoftKey implements it in
// software over a key unlocked from custody; a hardware module implements it
// later without the callers changing: a PKCS#11 token through C_SignInit with
// CKM_SM2_SM3 (vendor mechanism) and C_Sign over msg, or a GM/T 0018 SDF
// device through SDF_GetPrivateKeyAccessRight, SDF_HashInit with the public
// key and user ID (which computes Z_A), SDF_HashUpdate, SDF_HashFinal and
// SDF_InternalSign_ECC, re-encoding the ECCSignature as DER.
type Signer interface {
	Public() *ecdsa.PublicKey
	Sign(msg []byte) ([]byte, error)
}

// Decrypter opens GM/T 0009 SM2 ciphertexts made for its public key (data
// keys wrapped in asymmetric mode, backup shares). An SDF device implements
// it with SDF_InternalDecrypt_ECC; a PKCS#11 token with C_Decrypt.
type Decrypter interface {
	Decrypt(ciphertext []byte) ([]byte, error)
}

// ErrDestroyed reports use of a SoftKey after Destroy.
var ErrDestroyed = errors.New("unlocked key was destroyed")

// SoftKey is a key unlocked from software custody: the Signer and Decrypter
// over the private key, and the symmetric account key of the same version.
// It lives for one operation; Destroy zeroes it. It is safe for concurrent
// use, and deliberately has no method that returns or prints the private
// key.
type SoftKey struct {
	key Key
	pub *ecdsa.PublicKey

	mu  sync.RWMutex
	mat *keyMaterial // nil once destroyed
	// release, set on a view of a key held open (a department's session),
	// is what Destroy does instead of zeroing the shared material.
	release func()
}

// view returns a SoftKey over the same material whose Destroy calls
// release once instead of zeroing it.
func (s *SoftKey) view(release func()) *SoftKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &SoftKey{key: s.key, pub: s.pub, mat: s.mat, release: release}
}

var (
	_ Signer    = (*SoftKey)(nil)
	_ Decrypter = (*SoftKey)(nil)
)

// Key returns the public record of the unlocked key.
func (s *SoftKey) Key() Key { return s.key }

// Public returns the SM2 public key.
func (s *SoftKey) Public() *ecdsa.PublicKey { return s.pub }

// Sign signs msg with gm.Sign.
func (s *SoftKey) Sign(msg []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mat == nil {
		return nil, ErrDestroyed
	}
	sig, err := gm.Sign(s.mat.priv, msg)
	if err != nil {
		return nil, fmt.Errorf("sign with key %s: %w", s.key.ID, err)
	}
	return sig, nil
}

// Decrypt opens an SM2 ciphertext; any failure wraps ErrDecrypt.
func (s *SoftKey) Decrypt(ciphertext []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mat == nil {
		return nil, ErrDestroyed
	}
	plain, err := gm.Decrypt(s.mat.priv, ciphertext)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// sealSymmetric encrypts plaintext with SM4-GCM under the account key.
func (s *SoftKey) sealSymmetric(plaintext, aad []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mat == nil {
		return nil, ErrDestroyed
	}
	return gm.SealGCM(s.mat.sym, plaintext, aad)
}

// openSymmetric opens what sealSymmetric made; any failure is ErrDecrypt.
func (s *SoftKey) openSymmetric(sealed, aad []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mat == nil {
		return nil, ErrDestroyed
	}
	plain, err := gm.OpenGCM(s.mat.sym, sealed, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// material returns the key material for re-sealing; the caller holds it
// only while s is alive.
func (s *SoftKey) material() *keyMaterial {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mat
}

// Destroy zeroes the private scalar and the symmetric key (for a
// department's key held open, the session zeroes them when it ends). Later
// calls fail with ErrDestroyed; calling it twice is harmless.
func (s *SoftKey) Destroy() {
	if s == nil {
		return
	}
	s.mu.Lock()
	held := s.mat != nil && s.release != nil
	if !held {
		s.mat.destroy()
	}
	s.mat = nil
	s.mu.Unlock()
	if held {
		s.release()
	}
}

// String describes the key without any secret, so that a SoftKey passed to a
// logger by mistake prints nothing sensitive.
func (s *SoftKey) String() string { return "unlocked key " + s.key.ID }

// GoString is String, for %#v.
func (s *SoftKey) GoString() string { return s.String() }

// LogValue is String, for log/slog.
func (s *SoftKey) LogValue() slog.Value { return slog.StringValue(s.String()) }
