package kaibannet

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
)

// kaibanClient is what a kaiban service holds for one organisation: a
// fabric-gateway connection built from nothing but the organisation's
// profile (the chain section of kaiban's configuration), and the
// organisation's SM2 member key.
type kaibanClient struct {
	t       testing.TB
	profile *consortium.Profile
	gw      *client.Gateway
	key     *sm2.PrivateKey
	mspID   string
}

// connectProfile connects as the profile says; user, when not empty,
// replaces the profile's identity with another user of the same
// organisation (the clerk and supervisor role identities).
func connectProfile(t testing.TB, n *Network, profilePath, user string) *kaibanClient {
	t.Helper()
	p, err := consortium.LoadProfile(profilePath)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := p.Cert, p.Key
	if user != "" {
		org, err := n.Spec.Org(p.MSPID)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(n.Layout.Crypto().UserDir(consortium.CryptoOrg(n.Spec, org), user), "msp")
		certPath = filepath.Join(dir, "signcerts", user+"@"+org.Domain+"-cert.pem")
		keyPath = filepath.Join(dir, "keystore", "priv_sk")
	}
	caPEM, err := os.ReadFile(p.TLSRootCert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	conn, err := grpc.NewClient(p.Endpoint, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, p.ServerName)))
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.NewX509Identity(p.MSPID, cert)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEndorseTimeout(time.Minute), client.WithCommitStatusTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close(); conn.Close() })
	mk, err := consortium.EnsureMemberKey(n.Layout, p.MSPID)
	if err != nil {
		t.Fatal(err)
	}
	return &kaibanClient{t: t, profile: p, gw: gw, key: mk.Key, mspID: p.MSPID}
}

// submit submits a transaction to a Kaiban chaincode on the profile's
// channel and decodes its JSON result into out (when not nil). A failed
// endorsement is retried for a while: right after a deployment, membership
// change or upgrade, peers of other organisations may need a moment
// (gossip, chaincode server connections).
func (c *kaibanClient) submit(out any, chaincode, fn string, args ...string) {
	c.t.Helper()
	contract := c.gw.GetNetwork(c.profile.Channel).GetContract(chaincode)
	var res []byte
	var err error
	start := time.Now()
	for {
		res, err = contract.SubmitTransaction(fn, args...)
		if err == nil || time.Since(start) > 90*time.Second {
			break
		}
		// A record written through another organisation's gateway is
		// committed on that organisation's peer first; this peer may be a
		// block behind for a moment.
		if classified(chaincodeError(err)) && !(isCode(chaincodeError(err), model.CodeNotFound) && time.Since(start) < 10*time.Second) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatalf("%s %s.%s on %s: %v", c.mspID, chaincode, fn, c.profile.Channel, chaincodeError(err))
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			c.t.Fatalf("%s.%s result: %v", chaincode, fn, err)
		}
	}
}

func (c *kaibanClient) evaluate(out any, chaincode, fn string, args ...string) {
	c.t.Helper()
	res, err := c.gw.GetNetwork(c.profile.Channel).GetContract(chaincode).EvaluateTransaction(fn, args...)
	if err != nil {
		c.t.Fatalf("%s %s.%s: %v", c.mspID, chaincode, fn, chaincodeError(err))
	}
	if err := json.Unmarshal(res, out); err != nil {
		c.t.Fatalf("%s.%s result: %v", chaincode, fn, err)
	}
}

// sign returns the canonical request and its SM2 signature by key.
func (c *kaibanClient) sign(key *sm2.PrivateKey, action string, req any) (string, string) {
	c.t.Helper()
	canonical, sig, err := SignRequest(key, action, req)
	if err != nil {
		c.t.Fatal(err)
	}
	return canonical, sig
}

func canonical(t testing.TB, v any) string {
	t.Helper()
	raw, err := model.Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// establishment runs the core of an enterprise establishment (DB37/T
// 4431-2021 7.1, A.5) through the chaincodes as kaiban will: the window opens
// the company's locker (a trusted subject), the market regulator defines and
// issues the business licence into it, the company delegates the licence to
// the seal department, the clerk starts the establishment process (licence,
// then seal) and the market regulator approves its step with the licence as
// output. It returns the process as the chain shows it afterwards.
//
// It talks to the chaincodes through fabric-gateway with the profiles, which
// is what kaiban's chain client does underneath; kaiban's REST API does not
// cover these steps yet (api-spec/openapi.yaml has identity and audit only),
// and when it does this scenario is the one to drive through it: open the
// locker, accept the application, issue, grant, start the process, decide.
func establishment(t *testing.T, n *Network, channel, tag string) model.ProcessView {
	t.Helper()
	profile := func(msp string) string {
		return filepath.Join(filepath.Dir(n.Layout.ProfileFile(msp)), consortium.ProfileName(n.Spec, msp, channel))
	}
	window := connectProfile(t, n, profile("OperatorMSP"), "")
	clerk := connectProfile(t, n, profile("OperatorMSP"), consortium.RoleUser(model.RoleClerk))
	market := connectProfile(t, n, profile("MarketMSP"), "")
	firm, firmKey := openLocker(t, window, tag)

	// The market regulator defines the licence type and issues the licence.
	licenceType := "business-licence-" + tag
	market.submit(nil, model.ChaincodeAsset, "DefineAssetType", canonical(t, &model.AssetTypeDefinition{
		Code: licenceType, Name: "营业执照", Schema: `{"type":"object"}`, Issuers: []string{"MarketMSP"},
	}))
	issue := model.AssetIssue{
		Type: licenceType, Owner: firm.ID, Issuer: "MarketMSP", Channel: model.ChannelDepartment,
		BusinessKey:   "licence/" + tag,
		ContentDigest: gm.Hex([]byte("licence content " + tag)),
		CipherDigest:  gm.Hex([]byte("licence cipher " + tag)),
		StorageRef:    "kaiban-assets/licence-" + tag, Size: 2048,
		Encryption: model.EncryptAsymmetric,
		Keys:       []model.WrappedKey{{Recipient: firm.ID, Mode: model.EncryptAsymmetric, Key: base64.StdEncoding.EncodeToString([]byte("wrapped for the firm"))}},
	}
	var licence model.Asset
	req, sig := market.sign(market.key, "asset.IssueAsset", &issue)
	market.submit(&licence, model.ChaincodeAsset, "IssueAsset", req, sig)
	if licence.Status != model.AssetAvailable {
		t.Fatalf("licence is %s", licence.Status)
	}

	// The company delegates the licence to the seal department (授权/委托).
	grant := model.GrantRequest{
		Kind: model.KindDelegation, Asset: licence.ID, Grantor: firm.ID, Grantee: "SealMSP",
		Scope: model.ScopeUse, Purpose: "engrave the company seal",
		ExpiresAt: model.FormatTime(time.Now().Add(24 * time.Hour)), Nonce: "seal-" + tag,
	}
	var g model.Grant
	req, sig = window.sign(firmKey, "authorization.Grant", &grant)
	window.submit(&g, model.ChaincodeAuthorization, "Grant", req, sig)

	// The clerk starts the establishment process: licence, then seal.
	steps := []model.StepPlan{
		{Key: model.DeptMarket, Department: "MarketMSP", LimitSeconds: 86400},
		{Key: model.DeptSeal, Department: "SealMSP", DependsOn: []string{model.DeptMarket}, LimitSeconds: 43200},
	}
	def, _ := model.Canonical(steps)
	processID := "APP-" + tag
	start := model.ProcessStart{Application: processID, Item: "enterprise-establishment", DefinitionDigest: gm.Hex(def), Applicant: firm.ID, Steps: steps}
	clerk.submit(nil, model.ChaincodeApproval, "StartProcess", canonical(t, &start))

	// The market regulator approves its step, the licence as its output.
	decision := model.StepDecision{Process: processID, Step: model.DeptMarket, Approve: true, Approver: "approver-market", Opinion: "符合条件，准予登记", Outputs: []string{licence.ID}}
	req, sig = market.sign(market.key, "approval.DecideStep", &decision)
	market.submit(nil, model.ChaincodeApproval, "DecideStep", req, sig)

	// The decision is committed on the market regulator's peer first; the
	// clerk reads through the operator's peer, which may be a block behind.
	var view model.ProcessView
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(200 * time.Millisecond) {
		clerk.evaluate(&view, model.ChaincodeApproval, "GetProcess", processID)
		if stepStatus(view, model.DeptMarket) != model.StepPending {
			break
		}
	}
	return view
}

// openLocker opens the locker (数字保险箱) of a company (A.5) through the
// window's client: the company applies with its own SM2 key and the operator
// approves it as a trusted subject. It returns the active subject and the
// company's key.
func openLocker(t testing.TB, window *kaibanClient, tag string) (model.Subject, *sm2.PrivateKey) {
	t.Helper()
	firmKey, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	firmPub, _ := gm.MarshalPublicKeyPEM(&firmKey.PublicKey)
	identityData := []byte("统一社会信用代码 91370100" + tag)
	salt := sha256.Sum256(identityData)
	app := model.SubjectApplication{
		Kind: model.SubjectEnterprise,
		Commitments: map[string]string{
			model.CommitIdentity: gm.Commitment(salt[:gm.SaltSize], identityData),
			model.CommitLegalRep: gm.Commitment(salt[:gm.SaltSize], append(identityData, " 法定代表人"...)),
		},
		PublicKey: string(firmPub),
	}
	var firm model.Subject
	req, sig := window.sign(firmKey, "subject.ApplySubject", &app)
	window.submit(&firm, model.ChaincodeSubject, "ApplySubject", req, sig)
	window.submit(&firm, model.ChaincodeSubject, "ReviewSubject", canonical(t, &model.SubjectReview{Subject: firm.ID, Approve: true, Permissions: []model.Permission{model.PermTransact}}))
	if firm.Status != model.StatusActive {
		t.Fatalf("subject %s is %s after approval", firm.ID, firm.Status)
	}
	return firm, firmKey
}

// stepStatus returns the status of a step of a process view.
func stepStatus(v model.ProcessView, key string) string {
	for _, s := range v.Steps {
		if s.Key == key {
			return s.Status
		}
	}
	return fmt.Sprintf("no step %s", key)
}
