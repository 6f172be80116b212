// Package chaintest starts a real devnet for tests (in the test's process,
// served over gRPC with TLS, the four Kaiban chaincodes deployed) and founds a
// small consortium on it through package chain, as the platform does: the
// operator bootstraps, the market department joins, a firm opens its locker
// and a licence asset type is defined.
package chaintest

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
)

// Organisations of the default devnet used by the fixture.
const (
	Operator = "OperatorMSP"
	Market   = "MarketMSP"
	// Licence is the asset type the fixture defines, issued by Market.
	Licence = "business-licence"
)

// Options adjust the devnet a test starts.
type Options struct {
	// Dir is the devnet's data folder; default a new temporary folder. A
	// test restarting a network passes the same folder again.
	Dir string
	// BatchTimeout is how long a block waits for more transactions; default
	// 50ms, so tests do not wait on the production default of 2s.
	BatchTimeout time.Duration
	// BatchSize is the most transactions in a block; default 100.
	BatchSize int
	// Chaincodes are deployed besides the four Kaiban ones.
	Chaincodes map[string]shim.Chaincode
	// Plaintext serves gRPC without TLS.
	Plaintext bool
}

// Net is a running devnet and the configuration that reaches it.
type Net struct {
	*devnet.Network
	Dir    string
	Config chain.Config
}

// Start starts a devnet that stops when the test ends.
func Start(t testing.TB, o Options) *Net {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	n, err := StartNetwork(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// StartNetwork starts a devnet; the caller closes it.
func StartNetwork(o Options) (*Net, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("chaintest: a data folder is required")
	}
	chaincodes, err := devnet.KaibanChaincodes()
	if err != nil {
		return nil, err
	}
	maps.Copy(chaincodes, o.Chaincodes)
	cfg := devnet.Config{
		Dir:          o.Dir,
		Listen:       "127.0.0.1:0",
		OpsListen:    "-",
		TLS:          !o.Plaintext,
		Chaincodes:   chaincodes,
		BatchSize:    o.BatchSize,
		BatchTimeout: o.BatchTimeout,
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 100
	}
	if cfg.BatchTimeout == 0 {
		cfg.BatchTimeout = 50 * time.Millisecond
	}
	n, err := devnet.Start(cfg)
	if err != nil {
		return nil, err
	}
	cc, err := chain.DevnetConfig(o.Dir, n.Addr(), !o.Plaintext)
	if err != nil {
		n.Close()
		return nil, err
	}
	return &Net{Network: n, Dir: o.Dir, Config: cc}, nil
}

// Connect connects a chain client to the network; it closes when the test ends.
func (n *Net) Connect(t testing.TB, opts ...chain.Option) *chain.Client {
	t.Helper()
	c, err := chain.Connect(n.Config, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Consortium is the fixture's consortium: its SM2 keys and the firm's
// subject ID.
type Consortium struct {
	OperatorKey *sm2.PrivateKey
	MarketKey   *sm2.PrivateKey
	Firm        string
	FirmKey     *sm2.PrivateKey
	// FirmWrappedKey is a data key wrapped for the firm, for asset issues.
	FirmWrappedKey model.WrappedKey
}

// Found sets up the consortium through c (which must hold the default devnet
// identities): bootstrap by the operator, the market department admitted, an
// enterprise subject opened and approved with the transact permission, and
// the licence asset type defined with Market as issuer.
func Found(ctx context.Context, c *chain.Client) (*Consortium, error) {
	k := &Consortium{}
	var err error
	var opPub, marketPub, firmPub string
	if k.OperatorKey, opPub, err = SM2Key(); err != nil {
		return nil, err
	}
	if k.MarketKey, marketPub, err = SM2Key(); err != nil {
		return nil, err
	}
	if k.FirmKey, firmPub, err = SM2Key(); err != nil {
		return nil, err
	}
	submit := func(ref, chaincode, function string, args ...string) (*chain.Result, error) {
		ct, err := c.Contract(ref, chaincode)
		if err != nil {
			return nil, err
		}
		return ct.Submit(ctx, function, chain.WithArguments(args...))
	}
	app := model.MemberApplication{ID: Operator, Name: "Kaiban chain operator", Kind: model.MemberOperator, PublicKey: opPub}
	if _, err := submit(Operator+"/Admin", model.ChaincodeSubject, "Bootstrap", Signed(k.OperatorKey, subject.ActionBootstrap, &app)...); err != nil {
		return nil, err
	}
	join := model.MemberApplication{ID: Market, Name: "Market regulation", Kind: model.MemberDepartment, Department: model.DeptMarket, PublicKey: marketPub}
	if _, err := submit(Market+"/Admin", model.ChaincodeSubject, "ApplyMember", Signed(k.MarketKey, subject.ActionApplyMember, &join)...); err != nil {
		return nil, err
	}
	if _, err := submit(Operator+"/Admin", model.ChaincodeSubject, "ReviewMember", Canonical(&model.MemberReview{Member: Market, Approve: true})); err != nil {
		return nil, err
	}
	salt, err := gm.NewSalt()
	if err != nil {
		return nil, err
	}
	res, err := submit(Operator, model.ChaincodeSubject, "ApplySubject", Signed(k.FirmKey, subject.ActionApplySubject, &model.SubjectApplication{
		Kind: model.SubjectEnterprise,
		Commitments: map[string]string{
			model.CommitIdentity: gm.Commitment(salt, []byte("chaintest firm")),
			model.CommitLegalRep: gm.Commitment(salt, []byte("chaintest firm legal representative")),
		},
		PublicKey: firmPub,
	})...)
	if err != nil {
		return nil, err
	}
	var firm model.Subject
	if err := res.Decode(&firm); err != nil {
		return nil, err
	}
	k.Firm = firm.ID
	if _, err := submit(Operator, model.ChaincodeSubject, "ReviewSubject", Canonical(&model.SubjectReview{
		Subject: firm.ID, Approve: true, Permissions: []model.Permission{model.PermTransact},
	})); err != nil {
		return nil, err
	}
	if _, err := submit(Operator, model.ChaincodeAsset, "DefineAssetType", Canonical(&model.AssetTypeDefinition{
		Code: Licence, Name: "营业执照", Schema: `{"type":"object"}`, Issuers: []string{Market},
	})); err != nil {
		return nil, err
	}
	dk, err := gm.NewDataKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := gm.Encrypt(&k.FirmKey.PublicKey, dk)
	if err != nil {
		return nil, err
	}
	k.FirmWrappedKey = model.WrappedKey{Recipient: firm.ID, Mode: model.EncryptAsymmetric, Key: base64.StdEncoding.EncodeToString(wrapped)}
	return k, nil
}

// MustFound is Found for a test.
func MustFound(t testing.TB, c *chain.Client) *Consortium {
	t.Helper()
	k, err := Found(context.Background(), c)
	if err != nil {
		t.Fatalf("found the consortium: %v", err)
	}
	return k
}

// Licence returns a licence issue for the firm under business key key.
func (k *Consortium) Licence(key string) *model.AssetIssue {
	content := "licence " + key
	return &model.AssetIssue{
		Type: Licence, Owner: k.Firm, Issuer: Market, Channel: model.ChannelDepartment,
		BusinessKey:   key,
		ContentDigest: gm.Hex([]byte(content)),
		CipherDigest:  gm.Hex([]byte("cipher of " + content)),
		StorageRef:    "objects/" + key,
		Size:          int64(len(content)),
		Encryption:    model.EncryptAsymmetric,
		Keys:          []model.WrappedKey{k.FirmWrappedKey},
	}
}

// SM2Key returns a new SM2 key and its public key PEM.
func SM2Key() (*sm2.PrivateKey, string, error) {
	key, err := gm.GenerateKey()
	if err != nil {
		return nil, "", err
	}
	pub, err := gm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, "", err
	}
	return key, string(pub), nil
}

// Canonical returns the canonical JSON of a request; it panics on a value
// that cannot be encoded, which is a bug in the test.
func Canonical(v any) string {
	raw, err := model.Canonical(v)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

// Signed returns the canonical request and its base64 SM2 signature for
// action, the two arguments of a signed transaction.
func Signed(key *sm2.PrivateKey, action string, request any) []string {
	raw := Canonical(request)
	sig, err := gm.Sign(key, model.SigningMessage(action, []byte(raw)))
	if err != nil {
		panic(err)
	}
	return []string{raw, base64.StdEncoding.EncodeToString(sig)}
}

// CodeAccess is an authorization code for one of the firm's licences and the
// RecordAccess call with which the market department records a view under
// it: a transaction whose record ID derives from its transaction ID, so that
// every commit adds a record — the test of exactly-once submission.
type CodeAccess struct {
	Asset    string
	AuthCode string
	Code     []byte
}

// IssueCodeAccess issues a licence under business key key and an
// authorization code for it, signed by the firm.
func (k *Consortium) IssueCodeAccess(ctx context.Context, c *chain.Client, key string) (*CodeAccess, error) {
	assets, err := c.Contract(Market, model.ChaincodeAsset)
	if err != nil {
		return nil, err
	}
	a, _, err := chain.SubmitJSON[model.Asset](ctx, assets, "IssueAsset", chain.WithArguments(Signed(k.MarketKey, asset.ActionIssueAsset, k.Licence(key))...))
	if err != nil {
		return nil, err
	}
	code := []byte("code-" + key + "-" + gm.Hex([]byte(key))[:16])
	salt, err := gm.NewSalt()
	if err != nil {
		return nil, err
	}
	auth, err := c.Contract(Operator, model.ChaincodeAuthorization)
	if err != nil {
		return nil, err
	}
	ac, _, err := chain.SubmitJSON[model.AuthCode](ctx, auth, "IssueAuthCode", chain.WithArguments(Signed(k.FirmKey, authorization.ActionIssueAuthCode, &model.AuthCodeIssue{
		Asset: a.ID, Owner: k.Firm, Scope: model.ScopeView, Purpose: "check the licence",
		Salt: hex.EncodeToString(salt), Hash: gm.Commitment(salt, code), ExpiresAt: model.FormatTime(time.Now().Add(24 * time.Hour)),
	})...))
	if err != nil {
		return nil, err
	}
	return &CodeAccess{Asset: a.ID, AuthCode: ac.ID, Code: code}, nil
}

// Args returns the RecordAccess arguments of a view by the market
// department, for reason.
func (a *CodeAccess) Args(reason string) []string {
	return []string{Canonical(&model.AccessRecording{
		Asset: a.Asset, Accessor: Market, Action: model.AccessView, Reason: reason, AuthCode: a.AuthCode,
	}), ""}
}

// Transient returns the transient data presenting the code.
func (a *CodeAccess) Transient() map[string][]byte {
	return map[string][]byte{model.TransientAuthCode: a.Code}
}

// Records counts the access records of the asset with reason.
func (a *CodeAccess) Records(ctx context.Context, c *chain.Client, reason string) (int, error) {
	auth, err := c.Contract(Operator, model.ChaincodeAuthorization)
	if err != nil {
		return 0, err
	}
	n, bookmark := 0, ""
	for {
		page, err := chain.EvaluateJSON[model.AccessRecordPage](ctx, auth, "ListAccessRecords", chain.WithArguments(a.Asset, "200", bookmark))
		if err != nil {
			return 0, err
		}
		for _, r := range page.Items {
			if r.Reason == reason {
				n++
			}
		}
		if page.Bookmark == "" || len(page.Items) == 0 {
			return n, nil
		}
		bookmark = page.Bookmark
	}
}
