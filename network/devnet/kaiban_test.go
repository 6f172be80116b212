package devnet_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/internal/loadtest"
)

// licence is the asset type the workload issues.
const licence = "business-licence"

// kaiban is a consortium set up on a devnet through the gateway client, as the
// platform sets it up: the operator bootstraps, the market department joins,
// a firm opens its locker, and the market department issues licences to it.
type kaiban struct {
	conn   *grpc.ClientConn
	crypto cryptogen.Layout

	marketKey *sm2.PrivateKey
	firm      string
	firmSM2   *sm2.PrivateKey
	firmKey   model.WrappedKey
}

// setupKaiban founds the consortium on a network whose crypto material is in layout.
func setupKaiban(t testing.TB, conn *grpc.ClientConn, layout cryptogen.Layout) *kaiban {
	t.Helper()
	k := &kaiban{conn: conn, crypto: layout}
	orgs := devnet.DefaultOrgs()
	operator, market := orgs[0], orgs[1]
	opKey, opPub := sm2Key(t)
	marketKey, marketPub := sm2Key(t)
	k.marketKey = marketKey

	opAdmin := k.contract(t, operator, "Admin", model.ChaincodeSubject)
	app := model.MemberApplication{ID: operator.MSPID, Name: "Kaiban chain operator", Kind: model.MemberOperator, PublicKey: opPub}
	mustSubmit(t, opAdmin, "Bootstrap", signed(t, opKey, subject.ActionBootstrap, &app)...)

	join := model.MemberApplication{ID: market.MSPID, Name: "Market regulation", Kind: model.MemberDepartment, Department: model.DeptMarket, PublicKey: marketPub}
	mustSubmit(t, k.contract(t, market, "Admin", model.ChaincodeSubject), "ApplyMember", signed(t, marketKey, subject.ActionApplyMember, &join)...)
	mustSubmit(t, opAdmin, "ReviewMember", canonical(t, &model.MemberReview{Member: market.MSPID, Approve: true}))

	firmKey, firmPub := sm2Key(t)
	salt := make([]byte, gm.SaltSize)
	commitments := map[string]string{
		model.CommitIdentity: gm.Commitment(salt, []byte("devnet test firm")),
		model.CommitLegalRep: gm.Commitment(salt, []byte("devnet test firm legal representative")),
	}
	opClient := k.contract(t, operator, "User1", model.ChaincodeSubject)
	out := mustSubmit(t, opClient, "ApplySubject", signed(t, firmKey, subject.ActionApplySubject, &model.SubjectApplication{
		Kind: model.SubjectEnterprise, Commitments: commitments, PublicKey: firmPub,
	})...)
	var firm model.Subject
	if err := json.Unmarshal(out, &firm); err != nil {
		t.Fatal(err)
	}
	k.firm = firm.ID
	k.firmSM2 = firmKey
	mustSubmit(t, opClient, "ReviewSubject", canonical(t, &model.SubjectReview{Subject: firm.ID, Approve: true, Permissions: []model.Permission{model.PermTransact}}))

	mustSubmit(t, k.contract(t, operator, "User1", model.ChaincodeAsset), "DefineAssetType", canonical(t, &model.AssetTypeDefinition{
		Code: licence, Name: "营业执照", Schema: `{"type":"object"}`, Issuers: []string{market.MSPID},
	}))
	wrapped, err := loadtest.WrapKey(firm.ID, &firmKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k.firmKey = wrapped
	return k
}

// issuer returns the licences the market department issues to the firm,
// through the asset contract as the department's client.
func (k *kaiban) issuer(t testing.TB) *loadtest.Licences {
	t.Helper()
	return &loadtest.Licences{
		Assets: k.contract(t, devnet.DefaultOrgs()[1], "User1", model.ChaincodeAsset),
		Key:    k.marketKey, Issuer: "MarketMSP", Type: licence,
		Owner: k.firm, OwnerKey: k.firmKey,
	}
}

// gateway connects as the market department's client.
func (k *kaiban) gateway(t testing.TB) *client.Gateway {
	t.Helper()
	market := devnet.DefaultOrgs()[1]
	id, err := k.crypto.User(market, "User1")
	if err != nil {
		t.Fatal(err)
	}
	return connectAs(t, k.conn, market.MSPID, id.Cert, id.Key)
}

func (k *kaiban) contract(t testing.TB, org cryptogen.OrgSpec, user, chaincode string) *client.Contract {
	t.Helper()
	id, err := k.crypto.User(org, user)
	if err != nil {
		t.Fatal(err)
	}
	return connectAs(t, k.conn, org.MSPID, id.Cert, id.Key).GetNetwork(devnet.DefaultChannel).GetContract(chaincode)
}

func sm2Key(t testing.TB) (*sm2.PrivateKey, string) {
	t.Helper()
	key, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pub)
}

func canonical(t testing.TB, v any) string {
	t.Helper()
	raw, err := model.Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// signed returns the canonical request and its base64 SM2 signature for action.
func signed(t testing.TB, key *sm2.PrivateKey, action string, request any) []string {
	t.Helper()
	raw := canonical(t, request)
	sig, err := gm.Sign(key, model.SigningMessage(action, []byte(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return []string{raw, base64.StdEncoding.EncodeToString(sig)}
}

func mustSubmit(t testing.TB, c *client.Contract, function string, args ...string) []byte {
	t.Helper()
	out, err := c.SubmitTransaction(function, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", c.ChaincodeName(), function, err)
	}
	return out
}

// TestKaiban_IssueAssetAcrossChaincodes runs the platform's set-up and an asset
// issue through the gateway: the issue's transaction reads the subject
// chaincode through InvokeChaincode, so one transaction spans two chaincodes.
func TestKaiban_IssueAssetAcrossChaincodes(t *testing.T) {
	chaincodes, err := devnet.KaibanChaincodes()
	if err != nil {
		t.Fatal(err)
	}
	n := startNetwork(t, func(c *devnet.Config) { c.Chaincodes = chaincodes })
	k := setupKaiban(t, dial(t, n), n.Crypto())
	licences := k.issuer(t)
	st, _, err := licences.Issue(context.Background())
	if err != nil || !st.Successful {
		t.Fatalf("issue: %v, %v", st, err)
	}
	var page model.AssetPage
	out, err := licences.Assets.EvaluateTransaction("ListAssetsByOwner", k.firm, licence, "10", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Owner != k.firm {
		t.Fatalf("assets of the firm = %+v", page)
	}
}

// TestKaiban_AllFourChaincodes submits and evaluates through every Kaiban
// chaincode: subject (set-up), asset (issue, reading subject by InvokeChaincode),
// authorization (a grant, reading asset and subject) and approval (a process
// started by the operator's clerk).
func TestKaiban_AllFourChaincodes(t *testing.T) {
	chaincodes, err := devnet.KaibanChaincodes()
	if err != nil {
		t.Fatal(err)
	}
	n := startNetwork(t, func(c *devnet.Config) { c.Chaincodes = chaincodes })
	k := setupKaiban(t, dial(t, n), n.Crypto())
	operator, market := devnet.DefaultOrgs()[0], devnet.DefaultOrgs()[1]

	var member model.Member
	out, err := k.contract(t, market, "User1", model.ChaincodeSubject).EvaluateTransaction("GetMember", market.MSPID)
	if err != nil || json.Unmarshal(out, &member) != nil || member.Status != model.StatusActive {
		t.Fatalf("subject GetMember: %s, %v", out, err)
	}

	out = mustSubmit(t, k.issuer(t).Assets, "IssueAsset", signed(t, k.marketKey, asset.ActionIssueAsset, &model.AssetIssue{
		Type: licence, Owner: k.firm, Issuer: market.MSPID, Channel: model.ChannelDepartment,
		BusinessKey: "application-all-four", ContentDigest: gm.Hex([]byte("c")), CipherDigest: gm.Hex([]byte("x")),
		StorageRef: "minio://assets/all-four", Size: 1, Encryption: model.EncryptAsymmetric, Keys: []model.WrappedKey{k.firmKey},
	})...)
	var issued model.Asset
	if err := json.Unmarshal(out, &issued); err != nil {
		t.Fatal(err)
	}

	auth := k.contract(t, market, "User1", model.ChaincodeAuthorization)
	grant := model.GrantRequest{
		Kind: model.KindAuthorization, Asset: issued.ID, Grantor: k.firm, Grantee: market.MSPID, Scope: model.ScopeView,
		Purpose: "licence check", ExpiresAt: model.FormatTime(time.Now().Add(24 * time.Hour)), Nonce: "n1",
	}
	out = mustSubmit(t, auth, "Grant", signed(t, k.firmSM2, authorization.ActionGrant, &grant)...)
	var g model.Grant
	if err := json.Unmarshal(out, &g); err != nil {
		t.Fatal(err)
	}
	if out, err := auth.EvaluateTransaction("GetGrant", g.ID); err != nil || !json.Valid(out) {
		t.Fatalf("authorization GetGrant: %s, %v", out, err)
	}

	approval := k.contract(t, operator, "clerk", model.ChaincodeApproval)
	start := model.ProcessStart{
		Application: "application-1", Item: "establish", DefinitionDigest: gm.Hex([]byte("definition")), Applicant: k.firm,
		Steps: []model.StepPlan{{Key: "licence", Department: market.MSPID, LimitSeconds: 86400}},
	}
	mustSubmit(t, approval, "StartProcess", canonical(t, &start))
	if out, err := approval.EvaluateTransaction("GetProcess", "application-1"); err != nil || !json.Valid(out) {
		t.Fatalf("approval GetProcess: %s, %v", out, err)
	}
}
