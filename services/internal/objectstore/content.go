package objectstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Sealed describes content that PutSealed encrypted and stored: what an asset
// record needs about its ciphertext (its CipherDigest, StorageRef and Size),
// and the data key to wrap for the owner and grantees.
type Sealed struct {
	// Name is the stored object's name: the hex SM3 digest of the ciphertext.
	Name string
	// Size is the length of the ciphertext in bytes: the plaintext's plus
	// gm.GCMNonceSize and gm.GCMTagSize.
	Size int64
	// Key is the fresh SM4 data key the content is sealed under. It opens the
	// content: wrap it (gm.Encrypt to the owner's SM2 key, or under the
	// locker key) and drop it; it must never be stored in the clear.
	Key []byte
}

// PutSealed seals plaintext with SM4-GCM under a fresh data key
// (gm.NewDataKey), authenticating aad with it, and stores the ciphertext in s.
//
// aad binds the ciphertext to its context so it cannot be passed off as
// another asset's content: use the asset's ID (model.AssetID), which is known
// before the asset is issued. GetSealed must be given the same aad. The SM3
// digest of the plaintext (the asset's ContentDigest) is the caller's to
// compute, usually before sealing, since the issuer signs it.
func PutSealed(ctx context.Context, s Store, plaintext, aad []byte) (Sealed, error) {
	key, err := gm.NewDataKey()
	if err != nil {
		return Sealed{}, fmt.Errorf("objectstore: put sealed: %w", err)
	}
	np, ok := s.(namedPutter)
	if !ok {
		ciphertext, err := gm.SealGCM(key, plaintext, aad)
		if err != nil {
			return Sealed{}, fmt.Errorf("objectstore: put sealed: %w", err)
		}
		name, err := s.Put(ctx, ciphertext)
		if err != nil {
			return Sealed{}, err
		}
		return Sealed{Name: name, Size: int64(len(ciphertext)), Key: key}, nil
	}
	// This package's stores take the name from the seal, which hashes the
	// ciphertext on a second core as it is produced.
	ciphertext, sum, err := gm.SealGCMSum(key, plaintext, aad)
	if err != nil {
		return Sealed{}, fmt.Errorf("objectstore: put sealed: %w", err)
	}
	name := hex.EncodeToString(sum[:])
	if err := np.putNamed(ctx, name, ciphertext); err != nil {
		return Sealed{}, err
	}
	return Sealed{Name: name, Size: int64(len(ciphertext)), Key: key}, nil
}

// GetSealed fetches the object called name from s, checks its SM3 digest and
// opens it with key and aad, returning the plaintext. It fails with
// ErrNotFound, with ErrTampered when the stored bytes do not match name, and
// with an error wrapping gm.ErrDecrypt when they match but key or aad is not
// the one they were sealed with. On any failure no plaintext is returned.
//
// With this package's stores the digest is checked while the ciphertext is
// opened, on two cores; nothing leaves before both have succeeded.
func GetSealed(ctx context.Context, s Store, name string, key, aad []byte) ([]byte, error) {
	f, ok := s.(fetcher)
	if !ok {
		ciphertext, err := s.Get(ctx, name)
		if err != nil {
			return nil, err
		}
		return open(name, ciphertext, key, aad)
	}
	ciphertext, err := f.fetch(ctx, name)
	if err != nil {
		return nil, err
	}
	var (
		verr error
		wg   sync.WaitGroup
	)
	wg.Go(func() { verr = verify(name, ciphertext) })
	plaintext, oerr := open(name, ciphertext, key, aad)
	wg.Wait()
	if verr != nil {
		// Tampering is reported as such even when the open failed too,
		// and whatever the open produced is dropped.
		clear(plaintext)
		return nil, verr
	}
	return plaintext, oerr
}

func open(name string, ciphertext, key, aad []byte) ([]byte, error) {
	plaintext, err := gm.OpenGCM(key, ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("objectstore: open %s: %w", name, err)
	}
	return plaintext, nil
}
