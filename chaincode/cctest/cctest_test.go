package cctest_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
)

// stubFunc is a chaincode made of one function, so a test can look at the stub.
type stubFunc func(stub shim.ChaincodeStubInterface) *peer.Response

func (f stubFunc) Init(shim.ChaincodeStubInterface) *peer.Response        { return shim.Success(nil) }
func (f stubFunc) Invoke(stub shim.ChaincodeStubInterface) *peer.Response { return f(stub) }

// capture runs one transaction as id and returns the stub the chaincode got.
func capture(t *testing.T, l *cctest.Ledger, tx cctest.Tx, fn func(stub shim.ChaincodeStubInterface) error) *cctest.Result {
	t.Helper()
	l.Register("probe", stubFunc(func(stub shim.ChaincodeStubInterface) *peer.Response {
		if err := fn(stub); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	}))
	tx.Chaincode = "probe"
	if tx.Function == "" {
		tx.Function = "probe"
	}
	res := l.SubmitTx(tx)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestIdentity_ReadByCID(t *testing.T) {
	org := cctest.NewOrg("Org1MSP")
	tests := []struct {
		name   string
		id     *cctest.Identity
		ou     string
		attrs  map[string]string
		notOUs []string
	}{
		{"default client", org.Identity("alice"), "client", map[string]string{"hf.EnrollmentID": "alice", "hf.Type": "client"}, []string{"admin", "peer"}},
		{"admin", org.Identity("root", cctest.Admin()), "admin", map[string]string{"hf.Type": "admin"}, []string{"client"}},
		{"peer", org.Identity("peer0", cctest.Peer()), "peer", map[string]string{"hf.Type": "peer"}, []string{"client"}},
		{"clerk with attributes", org.Identity("clerk", cctest.Client(), cctest.OU("window"), cctest.Attr("kaiban.role", "clerk"), cctest.Attr("kaiban.dept", "amr")),
			"window", map[string]string{"kaiban.role": "clerk", "kaiban.dept": "amr", "hf.Type": "client"}, []string{"admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			capture(t, cctest.NewLedger(), cctest.Tx{Creator: tt.id}, func(stub shim.ChaincodeStubInterface) error {
				if msp, err := cid.GetMSPID(stub); err != nil || msp != "Org1MSP" {
					t.Errorf("MSP ID = %q %v", msp, err)
				}
				if ok, err := cid.HasOUValue(stub, tt.ou); err != nil || !ok {
					t.Errorf("HasOUValue(%q) = %v %v", tt.ou, ok, err)
				}
				for _, ou := range tt.notOUs {
					if ok, _ := cid.HasOUValue(stub, ou); ok {
						t.Errorf("HasOUValue(%q) = true", ou)
					}
				}
				for k, v := range tt.attrs {
					if err := cid.AssertAttributeValue(stub, k, v); err != nil {
						t.Errorf("attribute %s: %v", k, err)
					}
				}
				if _, found, _ := cid.GetAttributeValue(stub, "kaiban.absent"); found {
					t.Error("absent attribute found")
				}
				if id, err := cid.GetID(stub); err != nil || id != tt.id.ID() {
					t.Errorf("cid.GetID = %q %v, want %q", id, err, tt.id.ID())
				}
				return nil
			})
		})
	}
}

func TestIdentity_CertificateChainsToOrgCA(t *testing.T) {
	org := cctest.NewOrg("Org1MSP")
	other := cctest.NewOrg("Org2MSP")
	id := org.Identity("alice")
	roots := x509.NewCertPool()
	roots.AddCert(org.CACert)
	opts := x509.VerifyOptions{Roots: roots, CurrentTime: cctest.DefaultStartTime, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if _, err := id.Cert.Verify(opts); err != nil {
		t.Fatalf("identity does not chain to its CA: %v", err)
	}
	if _, err := other.Identity("mallory").Cert.Verify(opts); err == nil {
		t.Fatal("identity of another org chains to this CA")
	}
	sid := &msp.SerializedIdentity{}
	if err := proto.Unmarshal(id.Creator(), sid); err != nil || sid.Mspid != "Org1MSP" || string(sid.IdBytes) != string(id.CertPEM) {
		t.Fatalf("creator = %v %v", sid, err)
	}
	if len(org.CACertPEM()) == 0 {
		t.Fatal("no CA PEM")
	}
}

func TestLedger_ProposalIsRealAndSigned(t *testing.T) {
	org := cctest.NewOrg("Org1MSP")
	alice := org.Identity("alice")
	l := cctest.NewLedger(cctest.WithChannel("kaiban-test"))
	var txID string
	res := capture(t, l, cctest.Tx{Creator: alice, Transient: map[string][]byte{"key": []byte("s3cret")}}, func(stub shim.ChaincodeStubInterface) error {
		sp, err := stub.GetSignedProposal()
		if err != nil || sp == nil {
			return errors.New("no signed proposal")
		}
		digest := sha256.Sum256(sp.ProposalBytes)
		if !ecdsa.VerifyASN1(&alice.Key.PublicKey, digest[:], sp.Signature) {
			return errors.New("proposal signature does not verify")
		}
		prop, err := txsim.ParseSignedProposal(sp)
		if err != nil {
			return err
		}
		binding, _ := stub.GetBinding()
		if string(binding) != string(prop.Context.Binding) || len(binding) != 32 {
			return errors.New("binding")
		}
		tr, _ := stub.GetTransient()
		if string(tr["key"]) != "s3cret" {
			return errors.New("transient")
		}
		if stub.GetChannelID() != "kaiban-test" {
			return errors.New("channel")
		}
		txID = stub.GetTxID()
		return nil
	})
	if res.TxID != txID || len(txID) != 64 {
		t.Fatalf("tx ID %q, chaincode saw %q", res.TxID, txID)
	}
	// Transient data is never part of the transaction's read/write set or payload.
	raw, _ := proto.Marshal(res.RWSet)
	if containsBytes(raw, []byte("s3cret")) {
		t.Fatal("transient data leaked into the read/write set")
	}
}

func containsBytes(haystack, needle []byte) bool {
	for i := 0; i+len(needle) <= len(haystack); i++ {
		if string(haystack[i:i+len(needle)]) == string(needle) {
			return true
		}
	}
	return false
}

func TestLedger_ClockAndTxIDs(t *testing.T) {
	org := cctest.NewOrg("Org1MSP")
	alice := org.Identity("alice")
	start := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	l := cctest.NewLedger(cctest.WithStartTime(start))
	var seen []time.Time
	probe := func(stub shim.ChaincodeStubInterface) error {
		ts, err := stub.GetTxTimestamp()
		if err != nil {
			return err
		}
		seen = append(seen, ts.AsTime())
		return nil
	}
	r1 := capture(t, l, cctest.Tx{Creator: alice}, probe)
	r2 := capture(t, l, cctest.Tx{Creator: alice}, probe)
	l.Advance(48 * time.Hour)
	capture(t, l, cctest.Tx{Creator: alice}, probe)
	l.SetTime(start.Add(-time.Hour))
	capture(t, l, cctest.Tx{Creator: alice}, probe)
	want := []time.Time{start, start.Add(time.Second), start.Add(2*time.Second + 48*time.Hour), start.Add(-time.Hour)}
	if !slices.EqualFunc(seen, want, time.Time.Equal) {
		t.Fatalf("timestamps = %v, want %v", seen, want)
	}
	if r1.TxID == r2.TxID || !r1.Timestamp.Equal(start) {
		t.Fatalf("tx IDs %q %q, timestamp %v", r1.TxID, r2.TxID, r1.Timestamp)
	}
	if !l.Now().Equal(start.Add(-time.Hour + time.Second)) {
		t.Fatalf("Now = %v", l.Now())
	}
}

func TestLedger_FailedSubmitCommitsNothing(t *testing.T) {
	l := cctest.NewLedger()
	l.Register("cc", stubFunc(func(stub shim.ChaincodeStubInterface) *peer.Response {
		if err := stub.PutState("k", []byte("v")); err != nil {
			return shim.Error(err.Error())
		}
		if err := stub.SetEvent("Wrote", nil); err != nil {
			return shim.Error(err.Error())
		}
		fn, _ := stub.GetFunctionAndParameters()
		if fn == "fail" {
			return shim.Error("refused")
		}
		return shim.Success([]byte(`{"ok":true}`))
	}))
	creator := cctest.NewOrg("Org1MSP").Identity("alice")
	h := l.Height()
	res := l.Submit(creator, "cc", "fail")
	if res.OK() || res.Err() == nil || res.Status != shim.ERROR || res.Message != "refused" || res.Event != nil || res.Committed {
		t.Fatalf("failed submit = %+v", res)
	}
	if l.Height() != h || l.State("cc", "k") != nil {
		t.Fatal("failed submit changed the ledger")
	}
	res = l.Evaluate(creator, "cc", "ok")
	if !res.OK() || res.Committed || l.Height() != h || l.State("cc", "k") != nil || len(res.Writes) != 1 {
		t.Fatalf("evaluate = %+v, height %d", res, l.Height())
	}
	res = l.Submit(creator, "cc", "ok")
	var out struct{ OK bool }
	if !res.OK() || !res.Committed || res.BlockNum != h || l.Height() != h+1 || res.JSON(&out) != nil || !out.OK {
		t.Fatalf("submit = %+v, height %d", res, l.Height())
	}
	if res.Event == nil || res.Event.EventName != "Wrote" || res.Event.TxId != res.TxID || res.Event.ChaincodeId != "cc" {
		t.Fatalf("event = %v", res.Event)
	}
	if err := res.JSON(new(int)); err == nil {
		t.Fatal("JSON into the wrong type succeeded")
	}
	if res := l.Submit(creator, "nope", "x"); res.OK() {
		t.Fatal("unregistered chaincode succeeded")
	}
}

func TestLedger_RawCreatorAndBadProposal(t *testing.T) {
	l := cctest.NewLedger()
	var creator []byte
	capture(t, l, cctest.Tx{Creator: cctest.RawCreator("not an identity")}, func(stub shim.ChaincodeStubInterface) error {
		creator, _ = stub.GetCreator()
		if _, err := cid.GetMSPID(stub); err == nil {
			t.Error("cid parsed a raw creator")
		}
		return nil
	})
	if string(creator) != "not an identity" {
		t.Fatalf("creator = %q", creator)
	}
	// A proposal without a chaincode name is refused before any chaincode runs.
	if res := l.SubmitTx(cctest.Tx{}); res.OK() {
		t.Fatal("proposal without chaincode accepted")
	}
}

func TestLedger_PutStateKeysHistory(t *testing.T) {
	l := cctest.NewLedger()
	l.Put("asset", "b", []byte(`{"n":1}`))
	l.Put("asset", "a", []byte("x"))
	l.Put("asset", "b", []byte(`{"n":2}`))
	l.Put("asset", "a", nil)
	key, _ := txsim.CreateCompositeKey("owner", []string{"o1", "b"})
	l.Put("asset", key, []byte("1"))
	if got := l.Keys("asset"); !slices.Equal(got, []string{key, "b"}) {
		t.Fatalf("keys = %q", got)
	}
	var v struct{ N int }
	if found, err := l.StateJSON("asset", "b", &v); !found || err != nil || v.N != 2 {
		t.Fatalf("StateJSON = %v %v %v", found, err, v)
	}
	if found, err := l.StateJSON("asset", "a", &v); found || err != nil {
		t.Fatalf("StateJSON of deleted key = %v %v", found, err)
	}
	if _, err := l.StateJSON("asset", key, &v); err == nil {
		t.Fatal("StateJSON of non-JSON succeeded")
	}
	h := l.History("asset", "a")
	if len(h) != 2 || !h[0].IsDelete || string(h[1].Value) != "x" {
		t.Fatalf("history = %v", h)
	}
	if l.Height() != 6 {
		t.Fatalf("height = %d, want genesis + 5", l.Height())
	}
	if vv, _ := l.MemoryState().GetState("asset", "b"); vv.Version.BlockNum != 3 {
		t.Fatalf("version = %v", vv.Version)
	}
}

func TestLedger_CommitSkipsFailedAndCommitted(t *testing.T) {
	l := cctest.NewLedger()
	l.Register("cc", stubFunc(func(stub shim.ChaincodeStubInterface) *peer.Response {
		fn, params := stub.GetFunctionAndParameters()
		if fn == "fail" {
			return shim.Error("no")
		}
		if err := stub.PutState(params[0], []byte("v")); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	}))
	alice := cctest.NewOrg("Org1MSP").Identity("alice")
	failed := l.Evaluate(alice, "cc", "fail")
	ok := l.Evaluate(alice, "cc", "put", "k")
	l.Commit(failed, ok)
	if failed.BlockNum != 0 || !ok.Committed || ok.ValidationCode != peer.TxValidationCode_VALID {
		t.Fatalf("failed %+v, ok %+v", failed, ok)
	}
	h := l.Height()
	l.Commit(ok, failed)
	if ok.BlockNum != h-1 || l.Height() != h {
		t.Fatal("committed result committed again, or an empty block cut")
	}
}
