package keys

import (
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"strconv"

	"github.com/emmansun/gmsm/sm2"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Envelope is a secret sealed with SM4-GCM under a key derived from a
// password, together with everything needed to derive that key again except
// the password itself.
type Envelope struct {
	KDF    KDF
	Salt   []byte // gm.SaltSize random bytes, fresh for every seal
	Sealed []byte // gm.SealGCM output: nonce ‖ ciphertext ‖ tag
}

// sealEnvelope encrypts plaintext under a key derived from password with a
// fresh salt. aad binds the envelope to its place (see custodyAAD); the KDF
// parameters are bound too, so that parameters edited in the database fail
// authentication rather than quietly changing the derivation.
func sealEnvelope(kdf KDF, password string, plaintext, aad []byte) (Envelope, error) {
	salt, err := gm.NewSalt()
	if err != nil {
		return Envelope{}, err
	}
	kek, err := kdf.derive(password, salt)
	if err != nil {
		return Envelope{}, err
	}
	defer clear(kek)
	sealed, err := gm.SealGCM(kek, plaintext, envelopeAAD(kdf, aad))
	if err != nil {
		return Envelope{}, fmt.Errorf("seal envelope: %w", err)
	}
	return Envelope{KDF: kdf, Salt: salt, Sealed: sealed}, nil
}

// open decrypts the envelope with password. A wrong password, like any other
// mismatch, fails the GCM tag check after the full derivation and returns
// ErrBadPassword; the caller zeroes the plaintext after use.
func (e Envelope) open(password string, aad []byte) ([]byte, error) {
	kek, err := e.KDF.derive(password, e.Salt)
	if err != nil {
		return nil, fmt.Errorf("stored key derivation parameters: %w", err)
	}
	defer clear(kek)
	plain, err := gm.OpenGCM(kek, e.Sealed, envelopeAAD(e.KDF, aad))
	if err != nil {
		return nil, ErrBadPassword
	}
	return plain, nil
}

func envelopeAAD(kdf KDF, aad []byte) []byte {
	out := append([]byte(nil), aad...)
	out = append(out, 0)
	out = append(out, kdf.Algorithm...)
	out = append(out, 0)
	return strconv.AppendInt(out, int64(kdf.Iterations), 10)
}

// custodyAAD names the key an envelope holds: a private key sealed for one
// owner, key or version does not open as another's even when the rows are
// swapped in the database.
func custodyAAD(owner Owner, keyID string, version int) []byte {
	return joinAAD("KAIBAN-KEYS-CUSTODY-V1", string(owner.Kind), owner.ID, keyID, strconv.Itoa(version))
}

// joinAAD separates parts with U+0000, which none of them may contain (owner
// IDs, key IDs and asset IDs are printable ASCII), so the encoding is
// unambiguous.
func joinAAD(parts ...string) []byte {
	var out []byte
	for i, p := range parts {
		if i > 0 {
			out = append(out, 0)
		}
		out = append(out, p...)
	}
	return out
}

// keyMaterial is what custody protects for one key: the SM2 private key and
// the owner's symmetric account key of the same version (7.4.3 b 1 asks for
// both), which wraps data keys in symmetric mode.
type keyMaterial struct {
	priv *sm2.PrivateKey
	sym  []byte // gm.SM4KeySize bytes
}

func newKeyMaterial() (*keyMaterial, error) {
	priv, err := gm.GenerateKey()
	if err != nil {
		return nil, err
	}
	sym, err := gm.NewDataKey()
	if err != nil {
		return nil, err
	}
	return &keyMaterial{priv: priv, sym: sym}, nil
}

// materialVersion opens the encoding of keyMaterial: version ‖ len(der) as
// two bytes ‖ PKCS#8 DER of the private key ‖ symmetric key.
const materialVersion = 1

// marshal encodes m; the caller zeroes the result after use.
func (m *keyMaterial) marshal() ([]byte, error) {
	pemKey, err := gm.MarshalPrivateKeyPEM(m.priv)
	if err != nil {
		return nil, err
	}
	defer clear(pemKey)
	block, _ := pem.Decode(pemKey)
	defer clear(block.Bytes)
	out := make([]byte, 0, 3+len(block.Bytes)+len(m.sym))
	out = append(out, materialVersion)
	out = binary.BigEndian.AppendUint16(out, uint16(len(block.Bytes)))
	out = append(out, block.Bytes...)
	return append(out, m.sym...), nil
}

// parseKeyMaterial decodes what marshal wrote, consuming all of data, and
// checks the key through gm (scalar in [1, n-2], public point derived).
func parseKeyMaterial(data []byte) (*keyMaterial, error) {
	m, rest, err := parseKeyMaterialPrefix(data)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		m.destroy()
		return nil, fmt.Errorf("%w: %d bytes after the key material", ErrInvalid, len(rest))
	}
	return m, nil
}

// parseKeyMaterialPrefix decodes one keyMaterial from the start of data and
// returns the bytes after it.
func parseKeyMaterialPrefix(data []byte) (*keyMaterial, []byte, error) {
	if len(data) < 3 || data[0] != materialVersion {
		return nil, nil, fmt.Errorf("%w: key material is not version %d", ErrInvalid, materialVersion)
	}
	n := int(binary.BigEndian.Uint16(data[1:3]))
	if len(data) < 3+n+gm.SM4KeySize {
		return nil, nil, fmt.Errorf("%w: key material is truncated", ErrInvalid)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: data[3 : 3+n]})
	defer clear(pemKey)
	priv, err := gm.ParsePrivateKeyPEM(pemKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: key material: %w", ErrInvalid, err)
	}
	sym := append([]byte(nil), data[3+n:3+n+gm.SM4KeySize]...)
	return &keyMaterial{priv: priv, sym: sym}, data[3+n+gm.SM4KeySize:], nil
}

// destroy zeroes what can be zeroed: the symmetric key and the words of the
// private scalar. gmsm may keep a derived value of the scalar in unexported
// fields, which the garbage collector frees with the key.
func (m *keyMaterial) destroy() {
	if m == nil {
		return
	}
	clear(m.sym)
	if m.priv != nil && m.priv.D != nil {
		clear(m.priv.D.Bits())
		m.priv.D.SetInt64(0)
	}
}
