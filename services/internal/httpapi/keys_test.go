package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// The key service's handlers over a real key service on PostgreSQL
// (pgtest), with a cheap KDF so that the tests derive quickly.

type keysFixture struct {
	t *testing.T
	h *Server
	// other is the same key service called by a department's officer.
	other *Server
	pool  *pgxpool.Pool
	logs  *bytes.Buffer
}

func newKeysFixture(t *testing.T) *keysFixture {
	t.Helper()
	pool := pgtest.New(t)
	svc, err := keys.New(pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}})
	if err != nil {
		t.Fatal(err)
	}
	names, err := pii.New(1, key32(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.New(pool, names, identity.Config{SecretKey: key32(3), PasswordIterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(id.Close)
	// The window's security administrator, who may open a recovery for any
	// owner, and an officer of a department, who may not.
	as := func(client string, p *identity.Principal) func(c *gin.Context) {
		return func(c *gin.Context) {
			c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), p))
			SetClient(c, client)
		}
	}
	s, logs := newServer(t, Options{Keys: svc, Security: SecurityOptions{Identity: id},
		Authenticate: as("window-clerk-7", &identity.Principal{Kind: "user", ID: "u-sec", Roles: []string{"secadmin"}})})
	other, _ := newServer(t, Options{Keys: svc, Security: SecurityOptions{Identity: id},
		Authenticate: as("officer-1", &identity.Principal{Kind: "user", ID: "u-off", Department: "dept1", Roles: []string{"officer"}})})
	return &keysFixture{t: t, h: s, other: other, pool: pool, logs: logs}
}

// call sends body (a JSON value, or raw bytes for the digest) and returns
// the recorder.
func (f *keysFixture) call(method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var (
		rd = strings.NewReader("")
		ct = "application/json"
	)
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd, ct = strings.NewReader(string(b)), "application/octet-stream"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = strings.NewReader(string(j))
	}
	if body == nil {
		return do(f.t, f.h.Handler(), method, path, nil)
	}
	return do(f.t, f.h.Handler(), method, path, rd, "Content-Type", ct)
}

// ok calls and decodes a 2xx answer into out.
func (f *keysFixture) ok(status int, method, path string, body, out any) {
	f.t.Helper()
	rec := f.call(method, path, body)
	if rec.Code != status {
		f.t.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, status, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			f.t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
}

// snapshot is the content of every key table, to show a refused request
// changed nothing.
func (f *keysFixture) snapshot() string {
	f.t.Helper()
	var out strings.Builder
	for _, table := range []string{"keys", "key_backups", "key_shares", "key_recoveries", "key_recovery_shares", "key_unlock_attempts"} {
		var s *string
		if err := f.pool.QueryRow(context.Background(),
			fmt.Sprintf(`SELECT string_agg(t::text, '|' ORDER BY t::text) FROM %s t`, table)).Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		if s != nil {
			out.WriteString(table + ":" + *s + "\n")
		}
	}
	return out.String()
}

var (
	keySubject = fmt.Sprintf("%032x", 1)
	keyPath    = "/api/v1/keys/subject/" + keySubject
)

func deptPath(n int) string { return fmt.Sprintf("/api/v1/keys/department/Dept%dMSP", n) }

func TestKeys_EndpointsEndToEnd(t *testing.T) {
	f := newKeysFixture(t)
	var k api.KeyInfo
	f.ok(201, "POST", keyPath, map[string]any{"password": "locker password"}, &k)
	if k.Status != "active" || k.Version != 1 || k.Owner.Id != keySubject || !strings.Contains(k.PublicKey, "PUBLIC KEY") {
		t.Fatalf("generated %+v", k)
	}
	problemOf(t, f.call("POST", keyPath, map[string]any{"password": "another password"}), 409, "conflict")

	// Sign a raw message and a chain request; verify both.
	var sig api.KeySignature
	f.ok(200, "POST", keyPath+"/sign", map[string]any{"password": "locker password", "message": []byte("hello")}, &sig)
	pub, _ := gm.ParsePublicKeyPEM([]byte(k.PublicKey))
	if sig.KeyId != k.Id || !gm.Verify(pub, []byte("hello"), sig.Signature) {
		t.Fatal("raw signature does not verify")
	}
	var v api.KeyVerification
	f.ok(200, "POST", keyPath+"/verify", map[string]any{"message": []byte("hello"), "signature": sig.Signature}, &v)
	problemOf(t, f.call("POST", keyPath+"/verify", map[string]any{"message": []byte("other"), "signature": sig.Signature}), 422, "signature")
	canon := `{"subject":"x"}`
	f.ok(200, "POST", keyPath+"/sign", map[string]any{"password": "locker password", "action": "asset.IssueAsset", "canonical": canon}, &sig)
	if !gm.Verify(pub, model.SigningMessage("asset.IssueAsset", []byte(canon)), sig.Signature) {
		t.Fatal("chain signature does not verify")
	}
	f.ok(200, "POST", keyPath+"/verify", map[string]any{"action": "asset.IssueAsset", "canonical": canon, "signature": sig.Signature}, &v)

	// Wrong password: 403, then locked: 429 with Retry-After.
	for range keys.DefaultLockout.MaxFailures {
		problemOf(t, f.call("POST", keyPath+"/sign", map[string]any{"password": "guess", "message": []byte("m")}), 403, "denied")
	}
	rec := f.call("POST", keyPath+"/sign", map[string]any{"password": "locker password", "message": []byte("m")})
	problemOf(t, rec, 429, "rate-limited")
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("lockout without Retry-After")
	}
	if _, err := f.pool.Exec(context.Background(), `DELETE FROM key_unlock_attempts`); err != nil {
		t.Fatal(err)
	}

	// Wrap and unwrap in both modes.
	dataKey, _ := gm.NewDataKey()
	asset := model.DeriveID("asset", "licence")
	var asym, sym api.WrappedKey
	f.ok(200, "POST", keyPath+"/encrypt", map[string]any{"mode": "sm2", "dataKey": dataKey}, &asym)
	f.ok(200, "POST", keyPath+"/encrypt", map[string]any{"mode": "sm4", "dataKey": dataKey, "password": "locker password", "assetId": asset}, &sym)
	for _, w := range []api.WrappedKey{asym, sym} {
		var dk api.KeyDataKey
		f.ok(200, "POST", keyPath+"/decrypt", map[string]any{"password": "locker password", "assetId": asset, "key": w}, &dk)
		if !bytes.Equal(dk.DataKey, dataKey) {
			t.Fatalf("%s: data key %x", w.Mode, dk.DataKey)
		}
	}
	problemOf(t, f.call("POST", keyPath+"/decrypt", map[string]any{"password": "locker password", "assetId": model.DeriveID("asset", "other"), "key": sym}), 400, "invalid")

	// Digest.
	var d api.KeyDigest
	f.ok(200, "POST", "/api/v1/digests", []byte("abc"), &d)
	if d.Digest != "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" || d.Size != 3 || d.Algorithm != "sm3" {
		t.Fatalf("digest %+v", d)
	}

	// Departments, backup, rotation, password change.
	for i := 1; i <= 3; i++ {
		f.ok(201, "POST", deptPath(i), map[string]any{"password": "department password"}, nil)
	}
	var b api.KeyBackup
	f.ok(201, "POST", keyPath+"/backup", map[string]any{"password": "locker password", "threshold": 2,
		"departments": []string{"Dept1MSP", "Dept2MSP", "Dept3MSP"}}, &b)
	if b.Threshold != 2 || len(b.Holders) != 3 {
		t.Fatalf("backup %+v", b)
	}
	var got api.KeyBackup
	f.ok(200, "GET", keyPath+"/backup", nil, &got)
	if got.Id != b.Id {
		t.Fatal("current backup")
	}
	var rot api.KeyRotation
	f.ok(200, "POST", keyPath+"/rotation", map[string]any{"password": "locker password", "note": "yearly"}, &rot)
	if rot.Change == nil || rot.Change.Request.PublicKey != rot.New.PublicKey || rot.Backup == nil || rot.Old.RetiredAt == nil {
		t.Fatalf("rotation %+v", rot)
	}
	if !gm.Verify(pub, model.SigningMessage(keys.ActionChangeSubjectKey, []byte(rot.Change.Canonical)), mustB64(t, rot.Change.Signature)) {
		t.Fatal("key change not signed by the old key")
	}
	var list api.KeyList
	f.ok(200, "GET", keyPath, nil, &list)
	if len(list.Items) != 2 || list.Items[0].Id != rot.New.Id {
		t.Fatalf("keys %+v", list)
	}
	f.ok(204, "POST", keyPath+"/password", map[string]any{"oldPassword": "locker password", "newPassword": "forgotten password"}, nil)

	// Recovery: one department decrypts outside, one releases inside.
	var r api.KeyRecovery
	f.ok(201, "POST", keyPath+"/recoveries", map[string]any{"newPassword": "recovered password"}, &r)
	if r.RequestedBy == nil || *r.RequestedBy != "window-clerk-7" || r.Status != "open" {
		t.Fatalf("started %+v", r)
	}
	var share api.KeyEncryptedShare
	f.ok(200, "GET", "/api/v1/key-recoveries/"+r.Id+"/shares/Dept1MSP", nil, &share)
	plain := decryptWithDepartment(t, f.pool, share)
	f.ok(200, "PUT", "/api/v1/key-recoveries/"+r.Id+"/shares/Dept1MSP", map[string]any{"share": plain}, &r)
	f.ok(200, "PUT", "/api/v1/key-recoveries/"+r.Id+"/shares/Dept3MSP", map[string]any{"password": "department password"}, &r)
	if r.Status != "ready" || len(r.Submitted) != 2 {
		t.Fatalf("recovery %+v", r)
	}
	f.ok(200, "GET", "/api/v1/key-recoveries/"+r.Id, nil, &r)
	var recovered api.KeyList
	f.ok(200, "POST", "/api/v1/key-recoveries/"+r.Id+"/completion", map[string]any{"newPassword": "recovered password"}, &recovered)
	if len(recovered.Items) != 2 {
		t.Fatalf("recovered %+v", recovered)
	}
	f.ok(200, "POST", keyPath+"/sign", map[string]any{"password": "recovered password", "message": []byte("m")}, nil)

	// Cancel a new recovery.
	f.ok(201, "POST", keyPath+"/recoveries", map[string]any{"newPassword": "another password"}, &r)
	f.ok(200, "DELETE", "/api/v1/key-recoveries/"+r.Id, nil, &r)
	if r.Status != "cancelled" || r.ClosedAt == nil {
		t.Fatalf("cancelled %+v", r)
	}

	// No password reached the log.
	for _, p := range []string{"locker password", "forgotten password", "recovered password", "department password", "guess"} {
		if strings.Contains(f.logs.String(), p) {
			t.Fatalf("the log holds the password %q", p)
		}
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decryptWithDepartment plays a department system: it opens its own key
// (here from the service's custody, with its password) and decrypts the
// share with plain gm.
func decryptWithDepartment(t *testing.T, pool *pgxpool.Pool, share api.KeyEncryptedShare) []byte {
	t.Helper()
	svc, err := keys.New(pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}})
	if err != nil {
		t.Fatal(err)
	}
	sk, err := svc.Unlock(context.Background(), keys.Owner{Kind: keys.KindDepartment, ID: share.Department}, "department password")
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Destroy()
	if sk.Key().ID != share.KeyId {
		t.Fatalf("share encrypted to %s, department key %s", share.KeyId, sk.Key().ID)
	}
	var d keys.Decrypter = sk
	plain, err := d.Decrypt(share.Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// TestKeys_BadInputChangesNothing sends every key operation bad input: each
// gets a 4xx problem and no table of the key service changes.
func TestKeys_BadInputChangesNothing(t *testing.T) {
	f := newKeysFixture(t)
	f.ok(201, "POST", keyPath, map[string]any{"password": "locker password"}, nil)
	for i := 1; i <= 2; i++ {
		f.ok(201, "POST", deptPath(i), map[string]any{"password": "department password"}, nil)
	}
	f.ok(201, "POST", keyPath+"/backup", map[string]any{"password": "locker password", "threshold": 2, "departments": []string{"Dept1MSP", "Dept2MSP"}}, nil)
	var r api.KeyRecovery
	f.ok(201, "POST", keyPath+"/recoveries", map[string]any{"newPassword": "recovered password"}, &r)
	rp := "/api/v1/key-recoveries/" + r.Id
	var sym api.WrappedKey
	dataKey, _ := gm.NewDataKey()
	f.ok(200, "POST", keyPath+"/encrypt", map[string]any{"mode": "sm4", "dataKey": dataKey, "password": "locker password", "assetId": model.DeriveID("asset", "a")}, &sym)
	longPassword := strings.Repeat("秘", 1025)

	before := f.snapshot()
	cases := []struct {
		name, method, path string
		body               any
		status             int
		kind               string
	}{
		{"list: unknown kind", "GET", "/api/v1/keys/user/u1", nil, 400, "invalid"},
		{"list: subject ID not hex", "GET", "/api/v1/keys/subject/Org1MSP", nil, 400, "invalid"},
		{"list: no keys", "GET", "/api/v1/keys/subject/" + fmt.Sprintf("%032x", 9), nil, 404, "not-found"},
		{"generate: short password", "POST", deptPath(7), map[string]any{"password": "short"}, 400, "invalid"},
		{"generate: no password", "POST", deptPath(7), map[string]any{}, 400, "invalid"},
		{"generate: unknown field", "POST", deptPath(7), map[string]any{"password": "long enough", "admin": true}, 400, "invalid"},
		{"generate: not JSON", "POST", deptPath(7), "{", 400, "invalid"},
		{"generate: password too long", "POST", deptPath(7), map[string]any{"password": longPassword}, 400, "invalid"},
		{"generate: bad department ID", "POST", "/api/v1/keys/department/-x", map[string]any{"password": "long enough"}, 400, "invalid"},
		{"password: no new password", "POST", keyPath + "/password", map[string]any{"oldPassword": "locker password"}, 400, "invalid"},
		{"password: short new password", "POST", keyPath + "/password", map[string]any{"oldPassword": "locker password", "newPassword": "short"}, 400, "invalid"},
		{"rotation: no password", "POST", keyPath + "/rotation", map[string]any{"note": "n"}, 400, "invalid"},
		{"rotation: subject without note", "POST", keyPath + "/rotation", map[string]any{"password": "locker password"}, 400, "invalid"},
		{"rotation: note too long", "POST", keyPath + "/rotation", map[string]any{"password": "locker password", "note": strings.Repeat("n", 513)}, 400, "invalid"},
		{"sign: message and action", "POST", keyPath + "/sign", map[string]any{"password": "locker password", "message": "aGk=", "action": "a", "canonical": "{}"}, 400, "invalid"},
		{"sign: nothing to sign", "POST", keyPath + "/sign", map[string]any{"password": "locker password"}, 400, "invalid"},
		{"sign: action without canonical", "POST", keyPath + "/sign", map[string]any{"password": "locker password", "action": "a"}, 400, "invalid"},
		{"sign: message not base64", "POST", keyPath + "/sign", map[string]any{"password": "locker password", "message": "!!"}, 400, "invalid"},
		{"verify: no signature", "POST", keyPath + "/verify", map[string]any{"message": "aGk="}, 400, "invalid"},
		{"verify: nothing signed", "POST", keyPath + "/verify", map[string]any{"signature": "aGk="}, 400, "invalid"},
		{"encrypt: unknown mode", "POST", keyPath + "/encrypt", map[string]any{"mode": "rsa", "dataKey": dataKey}, 400, "invalid"},
		{"encrypt: short data key", "POST", keyPath + "/encrypt", map[string]any{"mode": "sm2", "dataKey": dataKey[:15]}, 400, "invalid"},
		{"encrypt: sm4 without asset", "POST", keyPath + "/encrypt", map[string]any{"mode": "sm4", "dataKey": dataKey, "password": "locker password"}, 400, "invalid"},
		{"encrypt: sm2 with password", "POST", keyPath + "/encrypt", map[string]any{"mode": "sm2", "dataKey": dataKey, "password": "locker password"}, 400, "invalid"},
		{"encrypt: bad asset ID", "POST", keyPath + "/encrypt", map[string]any{"mode": "sm4", "dataKey": dataKey, "password": "locker password", "assetId": "A"}, 400, "invalid"},
		{"decrypt: no wrapped key", "POST", keyPath + "/decrypt", map[string]any{"password": "locker password"}, 400, "invalid"},
		{"decrypt: sm4 without asset", "POST", keyPath + "/decrypt", map[string]any{"password": "locker password", "key": sym}, 400, "invalid"},
		{"decrypt: someone else's key", "POST", deptPath(1) + "/decrypt", map[string]any{"password": "department password", "assetId": model.DeriveID("asset", "a"), "key": sym}, 400, "invalid"},
		{"decrypt: unknown mode", "POST", keyPath + "/decrypt", map[string]any{"password": "locker password", "key": map[string]any{"recipient": keySubject, "mode": "rsa", "key": "AA=="}}, 400, "invalid"},
		{"digest: JSON body", "POST", "/api/v1/digests", `{"data":"x"}`, 415, "unsupported-media-type"},
		{"digest: no body", "POST", "/api/v1/digests", []byte{}, 400, "invalid"},
		{"backup: bad kind", "GET", "/api/v1/keys/robot/x/backup", nil, 400, "invalid"},
		{"backup: threshold 1", "POST", keyPath + "/backup", map[string]any{"password": "locker password", "threshold": 1, "departments": []string{"Dept1MSP", "Dept2MSP"}}, 400, "invalid"},
		{"backup: threshold above n", "POST", keyPath + "/backup", map[string]any{"password": "locker password", "threshold": 3, "departments": []string{"Dept1MSP", "Dept2MSP"}}, 400, "invalid"},
		{"backup: duplicate department", "POST", keyPath + "/backup", map[string]any{"password": "locker password", "threshold": 2, "departments": []string{"Dept1MSP", "Dept1MSP"}}, 400, "invalid"},
		{"backup: department without key", "POST", keyPath + "/backup", map[string]any{"password": "locker password", "threshold": 2, "departments": []string{"Dept1MSP", "Dept8MSP"}}, 404, "not-found"},
		{"recovery: short password", "POST", keyPath + "/recoveries", map[string]any{"newPassword": "short"}, 400, "invalid"},
		{"recovery: already open", "POST", keyPath + "/recoveries", map[string]any{"newPassword": "long enough"}, 409, "state"},
		{"recovery: bad ID", "GET", "/api/v1/key-recoveries/xyz", nil, 400, "invalid"},
		{"recovery: unknown", "GET", "/api/v1/key-recoveries/" + strings.Repeat("0", 32), nil, 404, "not-found"},
		{"cancel: bad ID", "DELETE", "/api/v1/key-recoveries/xyz", nil, 400, "invalid"},
		{"share: bad department", "GET", rp + "/shares/-x", nil, 400, "invalid"},
		{"share: not a holder", "GET", rp + "/shares/Dept9MSP", nil, 404, "not-found"},
		{"submit: share and password", "PUT", rp + "/shares/Dept1MSP", map[string]any{"share": "AQID", "password": "department password"}, 400, "invalid"},
		{"submit: neither", "PUT", rp + "/shares/Dept1MSP", map[string]any{}, 400, "invalid"},
		{"submit: forged share", "PUT", rp + "/shares/Dept1MSP", map[string]any{"share": base64.StdEncoding.EncodeToString(append([]byte{1}, make([]byte, 170)...))}, 400, "invalid"},
		{"complete: no password", "POST", rp + "/completion", map[string]any{}, 400, "invalid"},
		{"complete: not ready", "POST", rp + "/completion", map[string]any{"newPassword": "recovered password"}, 409, "state"},
	}
	for _, c := range cases {
		rec := f.call(c.method, c.path, c.body)
		p := problemOf(t, rec, c.status, c.kind)
		if p.Detail == nil || *p.Detail == "" {
			t.Errorf("%s: problem without detail", c.name)
		}
		if strings.Contains(rec.Body.String(), "locker password") || strings.Contains(rec.Body.String(), "秘秘") {
			t.Errorf("%s: the answer repeats a password: %s", c.name, rec.Body)
		}
	}
	// Neither the owner nor a security administrator: refused, nothing
	// opened (the recovery above is still the only one).
	rec := do(t, f.other.Handler(), "POST", keyPath+"/recoveries", strings.NewReader(`{"newPassword":"taken over password"}`), "Content-Type", "application/json")
	problemOf(t, rec, 403, "denied")
	// Nor may it create another owner's first key, choosing its password.
	rec = do(t, f.other.Handler(), "POST", "/api/v1/keys/department/TaxMSP", strings.NewReader(`{"password":"a password of mine"}`), "Content-Type", "application/json")
	problemOf(t, rec, 403, "denied")
	if after := f.snapshot(); after != before {
		t.Fatalf("bad input changed the key tables:\nbefore %s\nafter  %s", before, after)
	}
	// Every key operation of the contract is in the table above.
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.method+" "+routeTemplate(c.path)] = true
	}
	ct, _ := loadContract(api.Spec)
	ops := 0
	for key, r := range ct.routes {
		if len(r.kin.Operation.Tags) > 0 && r.kin.Operation.Tags[0] == "keys" {
			ops++
			if !covered[key] {
				t.Errorf("no bad-input case for %s", key)
			}
		}
	}
	if ops != 17 {
		t.Errorf("%d key operations in the contract, want 17", ops)
	}
}

// routeTemplate maps a test path back to its Gin route.
func routeTemplate(path string) string {
	parts := strings.Split(path, "/")
	switch {
	case len(parts) >= 6 && parts[3] == "keys":
		parts[4], parts[5] = ":ownerKind", ":ownerId"
	case len(parts) >= 5 && parts[3] == "key-recoveries":
		parts[4] = ":recoveryId"
		if len(parts) >= 7 && parts[5] == "shares" {
			parts[6] = ":department"
		}
	}
	return strings.Join(parts, "/")
}

func TestKeys_WithoutKeyServiceIs503(t *testing.T) {
	s, _ := newServer(t, Options{})
	rec := do(t, s.Handler(), "GET", keyPath, nil)
	problemOf(t, rec, 503, "unavailable")
}
