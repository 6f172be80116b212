package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

var testSubject = Owner{Kind: KindSubject, ID: strings.Repeat("5a", 16)}

// newSoftKey makes an unlocked key without custody, for the pure tests.
func newSoftKey(t testing.TB, owner Owner) *SoftKey {
	t.Helper()
	mat, err := newKeyMaterial()
	if err != nil {
		t.Fatal(err)
	}
	k, err := newKeyRecord(owner, 1, &mat.priv.PublicKey, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return &SoftKey{key: k, pub: &mat.priv.PublicKey, mat: mat}
}

func TestSoftKey_SignVerifiesWithGM(t *testing.T) {
	sk := newSoftKey(t, testSubject)
	defer sk.Destroy()
	msg := []byte("message")
	sig, err := signWith(sk, sk.Key().ID, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !gm.Verify(sk.Public(), msg, sig.Value) || sig.KeyID != sk.Key().ID {
		t.Fatal("signature does not verify with gm.Verify")
	}
	if err := VerifyWithPublicKey(sk.Key().PublicKeyPEM, msg, sig.Value); err != nil {
		t.Fatal(err)
	}
	if err := VerifyWithPublicKey(sk.Key().PublicKeyPEM, []byte("other"), sig.Value); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other message: %v", err)
	}
	if err := VerifyWithPublicKey("not a key", msg, sig.Value); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad key: %v", err)
	}
	fp, _ := gm.Fingerprint(sk.Public())
	if sk.Key().ID != fp[:32] || sk.Key().Fingerprint != fp {
		t.Fatal("key ID is not the fingerprint prefix")
	}
}

func TestSoftKey_DestroyZeroesAndRefuses(t *testing.T) {
	sk := newSoftKey(t, testSubject)
	mat := sk.mat
	sk.Destroy()
	sk.Destroy()
	if mat.priv.D.Sign() != 0 || !bytes.Equal(mat.sym, make([]byte, 16)) {
		t.Fatal("Destroy left key material")
	}
	if _, err := sk.Sign([]byte("m")); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("Sign after Destroy: %v", err)
	}
	if _, err := sk.Decrypt([]byte("c")); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("Decrypt after Destroy: %v", err)
	}
	if _, err := sk.sealSymmetric([]byte("k"), nil); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("seal after Destroy: %v", err)
	}
}

// TestSoftKey_PrintsNoSecret formats an unlocked key every way a log line
// might and looks for the private scalar and the account key.
func TestSoftKey_PrintsNoSecret(t *testing.T) {
	sk := newSoftKey(t, testSubject)
	defer sk.Destroy()
	scalar := sk.mat.priv.D.Bytes()
	secrets := []string{hex.EncodeToString(scalar), base64.StdEncoding.EncodeToString(scalar), sk.mat.priv.D.String(),
		hex.EncodeToString(sk.mat.sym), base64.StdEncoding.EncodeToString(sk.mat.sym)}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "key", sk)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "key", sk)
	for _, out := range []string{fmt.Sprint(sk), fmt.Sprintf("%v %+v %#v %s", sk, sk, sk, sk), logs.String()} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("output %q contains a secret", out)
			}
		}
	}
}

func TestWrap_AsymmetricRoundTrip(t *testing.T) {
	sk := newSoftKey(t, testSubject)
	defer sk.Destroy()
	dataKey, _ := gm.NewDataKey()
	w, err := WrapForPublicKey(testSubject.ID, sk.Public(), dataKey)
	if err != nil {
		t.Fatal(err)
	}
	if w.Mode != model.EncryptAsymmetric || w.Recipient != testSubject.ID {
		t.Fatalf("wrapped key %+v", w)
	}
	raw, err := decodeWrapped(testSubject, w)
	if err != nil {
		t.Fatal(err)
	}
	// What a department system does with its own key and plain gm.
	got, err := gm.Decrypt(sk.mat.priv, raw)
	if err != nil || !bytes.Equal(got, dataKey) {
		t.Fatalf("gm.Decrypt = %x, %v", got, err)
	}
	if got, err := unwrapWith(sk, raw); err != nil || !bytes.Equal(got, dataKey) {
		t.Fatalf("unwrapWith = %x, %v", got, err)
	}
	// A wrapped value that decrypts to something other than an SM4 key is
	// refused like any other failure.
	long, _ := gm.Encrypt(sk.Public(), make([]byte, 17))
	if _, err := unwrapWith(sk, long); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("17-byte data key: %v", err)
	}
	if _, err := WrapForPublicKey(testSubject.ID, sk.Public(), dataKey[:15]); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short data key: %v", err)
	}
}

func TestWrap_SymmetricBindsOwnerAssetAndKey(t *testing.T) {
	sk := newSoftKey(t, testSubject)
	defer sk.Destroy()
	dataKey, _ := gm.NewDataKey()
	asset := strings.Repeat("0f", 16)
	w, err := wrapSymmetric(sk, asset, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	if w.Mode != model.EncryptSymmetric || w.Recipient != testSubject.ID || len(w.Key) > 1024 {
		t.Fatalf("wrapped key %+v", w)
	}
	raw, _ := decodeWrapped(testSubject, w)
	keyID, sealed, err := symmetricKeyID(raw)
	if err != nil || keyID != sk.Key().ID {
		t.Fatalf("key ID %q, %v", keyID, err)
	}
	got, err := sk.openSymmetric(sealed, symWrapAAD(testSubject, asset, keyID))
	if err != nil || !bytes.Equal(got, dataKey) {
		t.Fatalf("open = %x, %v", got, err)
	}
	if _, err := sk.openSymmetric(sealed, symWrapAAD(testSubject, strings.Repeat("0e", 16), keyID)); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other asset: %v", err)
	}
	if _, err := wrapSymmetric(sk, "not-an-asset", dataKey); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad asset ID: %v", err)
	}
	for name, bad := range map[string][]byte{"short": raw[:20], "version": append([]byte{2}, raw[1:]...)} {
		if _, _, err := symmetricKeyID(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecodeWrapped_BadInput(t *testing.T) {
	good := model.WrappedKey{Recipient: testSubject.ID, Mode: model.EncryptAsymmetric, Key: "AAEC"}
	for name, w := range map[string]model.WrappedKey{
		"other recipient": {Recipient: strings.Repeat("00", 16), Mode: good.Mode, Key: good.Key},
		"unknown mode":    {Recipient: good.Recipient, Mode: "rsa", Key: good.Key},
		"not base64":      {Recipient: good.Recipient, Mode: good.Mode, Key: "!!"},
		"empty":           {Recipient: good.Recipient, Mode: good.Mode},
		"too long":        {Recipient: good.Recipient, Mode: good.Mode, Key: strings.Repeat("A", 1028)},
	} {
		if _, err := decodeWrapped(testSubject, w); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// TestKeyChange_AcceptedByChaincodeRules checks the rotation request the way
// the subject chaincode does: canonical form (model.DecodeCanonical) and the
// old key's signature over model.SigningMessage(ActionChangeSubjectKey, …).
func TestKeyChange_AcceptedByChaincodeRules(t *testing.T) {
	old := newSoftKey(t, testSubject)
	next := newSoftKey(t, testSubject)
	defer old.Destroy()
	defer next.Destroy()
	ch, err := keyChange(old, old.Key().ID, testSubject, next.Key().PublicKeyPEM, "scheduled rotation")
	if err != nil {
		t.Fatal(err)
	}
	if ActionChangeSubjectKey != "subject.ChangeSubjectKey" {
		t.Fatalf("action %q", ActionChangeSubjectKey)
	}
	var decoded model.SubjectKeyChange
	if err := model.DecodeCanonical(ch.Canonical, &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded != ch.Request || decoded.PublicKey != next.Key().PublicKeyPEM || decoded.Subject != testSubject.ID {
		t.Fatalf("decoded %+v", decoded)
	}
	sig, err := base64.StdEncoding.DecodeString(ch.Signature)
	if err != nil {
		t.Fatal(err)
	}
	if !gm.Verify(old.Public(), model.SigningMessage(ActionChangeSubjectKey, []byte(ch.Canonical)), sig) {
		t.Fatal("signature by the old key does not verify")
	}
	if gm.Verify(next.Public(), model.SigningMessage(ActionChangeSubjectKey, []byte(ch.Canonical)), sig) {
		t.Fatal("signature verifies with the new key")
	}
	if ch.OldKeyID != old.Key().ID {
		t.Fatal("old key ID")
	}
	if _, err := keyChange(old, old.Key().ID, testSubject, next.Key().PublicKeyPEM, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty note: %v", err)
	}
}

func TestDigest_SM3(t *testing.T) {
	// GB/T 32905-2016 Appendix A example 1.
	got, err := Digest(strings.NewReader("abc"))
	if err != nil || got != "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" {
		t.Fatalf("Digest(abc) = %s, %v", got, err)
	}
}

func TestOwner_Validate(t *testing.T) {
	for o, ok := range map[Owner]bool{
		testSubject:                              true,
		{KindDepartment, "Org1MSP"}:              true,
		{KindDepartment, "market.regulation@jn"}: true,
		{KindSubject, "Org1MSP"}:                 false,
		{KindSubject, strings.Repeat("AB", 16)}:  false,
		{KindDepartment, ""}:                     false,
		{KindDepartment, "has space"}:            false,
		{KindDepartment, "-leading"}:             false,
		{"user", "u1"}:                           false,
	} {
		if err := o.Validate(); (err == nil) != ok {
			t.Errorf("%v: %v, want ok=%v", o, err, ok)
		}
	}
}
