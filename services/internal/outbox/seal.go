package outbox

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// sealDomain separates the outbox's SM4-GCM additional data and HMAC input
// from any other use of the same key.
const sealDomain = "kaiban-outbox-v1\n"

// seal encrypts transient data with SM4-GCM under the outbox key, bound to the
// write's key.
func (o *Outbox) seal(key string, transient map[string][]byte) ([]byte, error) {
	plain, err := json.Marshal(transient)
	if err != nil {
		return nil, fmt.Errorf("outbox: %s: transient data: %w", key, err)
	}
	sealed, err := gm.SealGCM(o.cfg.Key, plain, []byte(sealDomain+key))
	if err != nil {
		return nil, fmt.Errorf("outbox: %s: seal transient data: %w", key, err)
	}
	return sealed, nil
}

// open decrypts what seal sealed; a value sealed under another key or for
// another row fails.
func (o *Outbox) open(key string, sealed []byte) (map[string][]byte, error) {
	if sealed == nil {
		return nil, nil
	}
	if o.cfg.Key == nil {
		return nil, fmt.Errorf("outbox: %s: transient data is sealed and this process has no outbox key", key)
	}
	plain, err := gm.OpenGCM(o.cfg.Key, sealed, []byte(sealDomain+key))
	if err != nil {
		return nil, fmt.Errorf("outbox: %s: open transient data: %w", key, err)
	}
	var transient map[string][]byte
	if err := json.Unmarshal(plain, &transient); err != nil {
		return nil, fmt.Errorf("outbox: %s: transient data: %w", key, err)
	}
	return transient, nil
}

// digest identifies a write's content: HMAC-SM3 under the outbox key of its
// canonical JSON. Keyed, so that the digest of a write with a secret in its
// transient data cannot be used to guess the secret.
func (o *Outbox) digest(w *Write) (string, error) {
	canon, err := model.Canonical(struct {
		Identity  string            `json:"identity"`
		Chaincode string            `json:"chaincode"`
		Function  string            `json:"function"`
		Args      []string          `json:"args"`
		Transient map[string][]byte `json:"transient,omitempty"`
		Lane      string            `json:"lane,omitempty"`
	}{w.Identity, w.Chaincode, w.Function, w.Args, w.Transient, w.Lane})
	if err != nil {
		return "", fmt.Errorf("outbox: %s: %w", w.Key, err)
	}
	return hex.EncodeToString(gm.HMAC(o.cfg.Key, append([]byte(sealDomain), canon...))), nil
}
