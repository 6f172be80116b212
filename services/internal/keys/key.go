package keys

import (
	"crypto/ecdsa"
	"fmt"
	"regexp"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Kind says what an owner of keys is.
type Kind string

// The owners of keys: trusted subjects (enterprises and natural persons, the
// holders of digital lockers) and departments (alliance members that hold
// backup shares and approve, issue and read).
const (
	KindSubject    Kind = "subject"
	KindDepartment Kind = "department"
)

// Owner identifies who a key belongs to. A subject's ID is its on-chain
// subject ID (model.SubjectID); a department's is its member ID.
type Owner struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
}

var (
	// The same patterns as chaincode/model's subject IDs and member IDs, so
	// that a key's owner is always an ID the chain can hold.
	subjectIDPattern    = regexp.MustCompile(`^[0-9a-f]{32}$`)
	departmentIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
)

// Validate reports whether o is a well-formed owner.
func (o Owner) Validate() error {
	switch o.Kind {
	case KindSubject:
		if !subjectIDPattern.MatchString(o.ID) {
			return fmt.Errorf("%w: subject ID %q must be a 32-character lower-case hex ID", ErrInvalid, o.ID)
		}
	case KindDepartment:
		if !departmentIDPattern.MatchString(o.ID) {
			return fmt.Errorf("%w: department ID %q must be 1-128 characters of letters, digits and ._:@- starting with a letter or digit", ErrInvalid, o.ID)
		}
	default:
		return fmt.Errorf("%w: owner kind %q, want %q or %q", ErrInvalid, o.Kind, KindSubject, KindDepartment)
	}
	return nil
}

// String returns "kind:id".
func (o Owner) String() string { return string(o.Kind) + ":" + o.ID }

// Status is where a key is in its life.
type Status string

// Key statuses. An owner has exactly one active key; rotation retires it,
// and a retired key still decrypts and verifies what was made for it but
// never signs or receives anything new.
const (
	StatusActive  Status = "active"
	StatusRetired Status = "retired"
)

// Key is the public record of one SM2 key pair in custody. The private half
// never leaves the package except inside an unlocked SoftKey.
type Key struct {
	// ID is the first 32 hex digits of Fingerprint: derived from the public
	// key, so anyone holding the key can compute it.
	ID    string `json:"id"`
	Owner Owner  `json:"owner"`
	// Version counts the owner's keys from 1; rotation adds one.
	Version      int    `json:"version"`
	Status       Status `json:"status"`
	PublicKeyPEM string `json:"publicKey"`
	// Fingerprint is gm.Fingerprint of the public key.
	Fingerprint string    `json:"fingerprint"`
	CreatedAt   time.Time `json:"createdAt"`
	RetiredAt   time.Time `json:"retiredAt,omitzero"`
}

// PublicKey parses the key's public half.
func (k *Key) PublicKey() (*ecdsa.PublicKey, error) {
	pub, err := gm.ParsePublicKeyPEM([]byte(k.PublicKeyPEM))
	if err != nil {
		return nil, fmt.Errorf("public key of %s: %w", k.ID, err)
	}
	return pub, nil
}

// newKeyRecord describes the public half of priv as owner's key version.
func newKeyRecord(owner Owner, version int, pub *ecdsa.PublicKey, now time.Time) (Key, error) {
	pemKey, err := gm.MarshalPublicKeyPEM(pub)
	if err != nil {
		return Key{}, err
	}
	fp, err := gm.Fingerprint(pub)
	if err != nil {
		return Key{}, err
	}
	return Key{
		ID:           fp[:32],
		Owner:        owner,
		Version:      version,
		Status:       StatusActive,
		PublicKeyPEM: string(pemKey),
		Fingerprint:  fp,
		CreatedAt:    now.UTC(),
	}, nil
}
