package consortium

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

func TestNew_DefaultConsortium(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Orgs) != 8 || s.Orgs[0].MSPID != "OperatorMSP" || s.Orgs[0].Kind != "operator" {
		t.Fatalf("orgs = %+v", s.Orgs)
	}
	var msps []string
	for _, o := range s.Orgs[1:] {
		msps = append(msps, o.MSPID)
		if o.Kind != string(model.MemberDepartment) || o.Department == "" || o.Domain != o.Department+".kaiban.local" {
			t.Errorf("department org %+v", o)
		}
	}
	want := []string{"MarketMSP", "SealMSP", "SocialMSP", "MedicalMSP", "HousingFundMSP", "BankMSP", "TaxMSP"}
	if !slices.Equal(msps, want) {
		t.Errorf("department MSPs = %v, want %v", msps, want)
	}
	if s.Consensus != Raft || len(s.Orderer.Nodes) != 3 {
		t.Errorf("ordering: %s with %d orderers, want etcdraft with 3", s.Consensus, len(s.Orderer.Nodes))
	}
	if test, _ := s.TestChannel(); test == nil || test.Name != "kaiban-test" {
		t.Errorf("test channel = %v", test)
	}
	if prod, _ := s.ProductionChannel(); prod == nil || prod.Name != "kaiban" {
		t.Errorf("production channel = %v", prod)
	}
	if !slices.Equal(s.Chaincodes, []string{"subject", "asset", "authorization", "approval"}) {
		t.Errorf("chaincodes = %v", s.Chaincodes)
	}
	// 3 orderers and 8 peers with three ports each.
	if s.NextPort != 17000+33 {
		t.Errorf("next port = %d", s.NextPort)
	}
}

func TestNew_InvalidOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"BFT with three orderers": {Consensus: BFT, Orderers: 3},
		"unknown consensus":       {Consensus: "kafka"},
		"unknown department":      {Departments: []string{"police"}},
		"bad channel":             {Channel: "Kaiban!"},
		"same channels":           {Channel: "kaiban", TestChannel: "kaiban"},
		"bad port":                {BasePort: 65530},
		"bad runtime":             {Runtime: "k8s"},
		"bad capability":          {ChannelCapability: "V1_4_3"},
		"BFT on Fabric 2.5":       {Consensus: BFT, ChannelCapability: "V2_0"},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	var unknown *UnknownError
	if _, err := New(Options{Departments: []string{"police"}}); !errors.As(err, &unknown) || !slices.Contains(unknown.Known, "tax") {
		t.Errorf("unknown department error = %v", err)
	}
}

func TestSpec_MarshalParseRoundTrip(t *testing.T) {
	s, err := New(Options{Consensus: BFT})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsurePackage("subject", "1.0"); err != nil {
		t.Fatal(err)
	}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(Marshal) = %v\n%s", err, data)
	}
	again, _ := back.Marshal()
	if string(again) != string(data) {
		t.Errorf("round trip changed the spec:\n%s\n---\n%s", data, again)
	}
	if _, err := Parse(append(data, []byte("bogusKey: 1\n")...)); err == nil {
		t.Error("Parse accepted an unknown key")
	}
}

func TestSpec_PortsAreUnique(t *testing.T) {
	s, _ := New(Options{})
	s.Orgs[1].Nodes[0].OpsPort = s.Orgs[0].Nodes[0].Port
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "used by both") {
		t.Errorf("Validate with a shared port = %v", err)
	}
}

func TestSpec_AddOrgAndNodes(t *testing.T) {
	s, _ := New(Options{Departments: []string{model.DeptMarket}})
	next := s.NextPort
	o, err := s.AddOrg(NewOrg{MSPID: "TaxMSP", Domain: "tax.kaiban.local", Kind: "department", Department: "tax", Peers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Nodes) != 2 || o.Nodes[1].Index != 1 || o.Nodes[0].Port != next {
		t.Errorf("new org nodes = %+v", o.Nodes)
	}
	if again, err := s.AddOrg(NewOrg{MSPID: "TaxMSP", Domain: "tax.kaiban.local", Kind: "department", Department: "tax"}); err != nil || again.MSPID != "TaxMSP" || len(s.Orgs) != 3 {
		t.Errorf("repeated AddOrg = %v, %v (%d orgs)", again, err, len(s.Orgs))
	}
	for name, n := range map[string]NewOrg{
		"clashing domain":  {MSPID: "TaxMSP", Domain: "other.kaiban.local", Kind: "department", Department: "tax"},
		"orderer kind":     {MSPID: "NewOrdererMSP", Domain: "o2.kaiban.local", Kind: KindOrderer},
		"unknown kind":     {MSPID: "XMSP", Domain: "x.kaiban.local", Kind: "bank"},
		"department no id": {MSPID: "YMSP", Domain: "y.kaiban.local", Kind: "department"},
		"bad MSP":          {MSPID: "1bad", Domain: "z.kaiban.local", Kind: "institution"},
		"domain taken":     {MSPID: "ZMSP", Domain: "market.kaiban.local", Kind: "institution"},
	} {
		before, _ := s.Marshal()
		if _, err := s.AddOrg(n); err == nil {
			t.Errorf("%s: AddOrg succeeded", name)
		}
		if after, _ := s.Marshal(); string(after) != string(before) {
			t.Errorf("%s: a refused AddOrg changed the spec", name)
		}
	}
	r, err := s.AddNode("MarketMSP")
	if err != nil || r.Name() != "peer1.market.kaiban.local" {
		t.Fatalf("AddNode = %v, %v", r.Name(), err)
	}
	if err := s.RemoveNode("peer0.market.kaiban.local"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveNode("peer1.market.kaiban.local"); err == nil {
		t.Error("removed the last peer of an organisation")
	}
	r, _ = s.AddNode("MarketMSP")
	if r.Name() != "peer2.market.kaiban.local" {
		t.Errorf("a re-added node reused index: %s", r.Name())
	}
	if _, err := s.AddNode("NopeMSP"); err == nil {
		t.Error("AddNode to an unknown org succeeded")
	}
	b, _ := New(Options{Consensus: BFT})
	if err := b.RemoveNode("orderer0.orderer.kaiban.local"); err == nil {
		t.Error("a BFT service went below four orderers")
	}
}

// tree hashes every file under dir.
func tree(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[rel] = sha256.Sum256(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInit_IdempotentAndRefusesConflicts(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Departments: []string{model.DeptMarket, model.DeptTax}}
	if _, _, err := Init(dir, opts); err != nil {
		t.Fatal(err)
	}
	first := tree(t, dir)
	if _, _, err := Init(dir, opts); err != nil {
		t.Fatal(err)
	}
	if second := tree(t, dir); !mapsEqual(first, second) {
		t.Error("a second init with the same options changed files")
	}
	if _, _, err := Init(dir, Options{Departments: []string{model.DeptMarket, model.DeptTax}, Consensus: BFT}); err == nil || !strings.Contains(err.Error(), "consensus") {
		t.Errorf("init with another consensus = %v", err)
	}
	if third := tree(t, dir); !mapsEqual(first, third) {
		t.Error("a refused init changed files")
	}
	// A deleted node configuration and a deleted identity come back.
	_ = os.RemoveAll(filepath.Join(dir, "nodes", "peer0.tax.kaiban.local"))
	_ = os.RemoveAll(filepath.Join(dir, "organizations", "peerOrganizations", "tax.kaiban.local", "users", "User1@tax.kaiban.local"))
	if _, _, err := Init(dir, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nodes", "peer0.tax.kaiban.local", "core.yaml")); err != nil {
		t.Error("init did not restore a node configuration")
	}
	if _, err := os.Stat(filepath.Join(dir, "organizations", "peerOrganizations", "tax.kaiban.local", "users", "User1@tax.kaiban.local", "msp", "keystore", "priv_sk")); err != nil {
		t.Error("init did not restore an identity")
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// yamlPath reads a dotted key from a YAML document.
func yamlPath(t *testing.T, doc map[string]any, path string) any {
	t.Helper()
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %v is not a map", path, cur)
		}
		cur = m[k]
	}
	return cur
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// exists checks that a path relative to dir names an existing file.
func exists(t *testing.T, dir string, rel any) {
	t.Helper()
	p, ok := rel.(string)
	if !ok || filepath.IsAbs(p) {
		t.Errorf("path %v is not relative", rel)
		return
	}
	if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
		t.Errorf("%s does not exist relative to %s", p, dir)
	}
}

func TestRender_NodeConfigurations(t *testing.T) {
	s, l, err := Init(t.TempDir(), Options{Departments: []string{model.DeptMarket}})
	if err != nil {
		t.Fatal(err)
	}
	peer := s.Peers()[1]
	dir := l.NodeDir(peer)
	core := readYAML(t, filepath.Join(dir, "core.yaml"))
	if got := yamlPath(t, core, "peer.localMspId"); got != "MarketMSP" {
		t.Errorf("localMspId = %v", got)
	}
	e := s.Endpoint(peer)
	for key, want := range map[string]any{
		"peer.listenAddress":           e.External,
		"peer.address":                 e.Internal,
		"peer.gossip.externalEndpoint": e.Internal,
		"peer.tls.enabled":             true,
		"operations.listenAddress":     e.Ops,
		"metrics.provider":             "prometheus",
		"chaincode.mode":               "net",
	} {
		if got := yamlPath(t, core, key); got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	for _, key := range []string{"peer.mspConfigPath", "peer.tls.cert.file", "peer.tls.key.file", "peer.tls.rootcert.file"} {
		exists(t, dir, yamlPath(t, core, key))
	}
	builders := yamlPath(t, core, "chaincode.externalBuilders").([]any)
	bpath := builders[0].(map[string]any)["path"]
	for _, b := range []string{"detect", "build", "release"} {
		exists(t, dir, filepath.Join(bpath.(string), "bin", b))
	}

	ord := s.Orderers()[0]
	odir := l.NodeDir(ord)
	oy := readYAML(t, filepath.Join(odir, "orderer.yaml"))
	if got := yamlPath(t, oy, "General.BootstrapMethod"); got != "none" {
		t.Errorf("BootstrapMethod = %v", got)
	}
	if got := yamlPath(t, oy, "Admin.TLS.ClientAuthRequired"); got != true {
		t.Errorf("admin endpoint without mutual TLS")
	}
	for _, key := range []string{"General.LocalMSPDir", "General.TLS.Certificate", "General.TLS.PrivateKey", "Admin.TLS.Certificate", "General.Cluster.ClientCertificate"} {
		exists(t, odir, yamlPath(t, oy, key))
	}
	if got := yamlPath(t, oy, "General.ListenPort"); got != ord.Node.Port {
		t.Errorf("ListenPort = %v, want %d", got, ord.Node.Port)
	}
}

func TestProfile_TheKaibanContract(t *testing.T) {
	s, l, err := Init(t.TempDir(), Options{Departments: []string{model.DeptMarket}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadProfile(l.ProfileFile("MarketMSP"))
	if err != nil {
		t.Fatal(err)
	}
	market, _ := s.Org("MarketMSP")
	e := s.Endpoint(NodeRef{Org: market, Node: market.Nodes[0]})
	if p.MSPID != "MarketMSP" || p.Channel != "kaiban" || p.Endpoint != e.External || p.ServerName != e.Host {
		t.Errorf("profile = %+v", p)
	}
	// The keys are those of kaiban's configuration (services/internal/config.Chain).
	doc := readYAML(t, l.ProfileFile("MarketMSP"))
	chain, _ := doc["chain"].(map[string]any)
	if got := keys(chain); !slices.Equal(got, []string{"cert", "channel", "endpoint", "key", "mspId", "serverName", "tlsRootCert"}) {
		t.Errorf("profile keys = %v", got)
	}
	cert, err := cryptogen.ReadCert(p.Cert)
	if err != nil {
		t.Fatal(err)
	}
	key, err := cryptogen.ReadKey(p.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) || cert.Subject.CommonName != "User1@market.kaiban.local" {
		t.Errorf("profile certificate %s does not match its key", cert.Subject.CommonName)
	}
	tlsCA, err := cryptogen.ReadCert(p.TLSRootCert)
	if err != nil {
		t.Fatal(err)
	}
	peerTLS, err := l.Crypto().NodeTLS(CryptoOrg(s, market), 0)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := cryptogen.ParseCertPEM(peerTLS.CertPEM)
	if err := leaf.CheckSignatureFrom(tlsCA); err != nil {
		t.Errorf("tlsRootCert does not verify the peer's TLS certificate: %v", err)
	}
	test, err := LoadProfile(filepath.Join(filepath.Dir(l.ProfileFile("MarketMSP")), "MarketMSP-kaiban-test.yaml"))
	if err != nil || test.Channel != "kaiban-test" {
		t.Errorf("test channel profile = %+v, %v", test, err)
	}
	if _, err := LoadProfile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("LoadProfile of a missing file succeeded")
	}
}

func TestRender_DockerRuntime(t *testing.T) {
	s, l, err := Init(t.TempDir(), Options{Runtime: Docker, Departments: []string{model.DeptMarket}})
	if err != nil {
		t.Fatal(err)
	}
	peer := s.Peers()[0]
	core := readYAML(t, filepath.Join(l.NodeDir(peer), "core.yaml"))
	if got := yamlPath(t, core, "peer.address"); got != "peer0.operator.kaiban.local:7051" {
		t.Errorf("docker peer address = %v", got)
	}
	if got := yamlPath(t, core, "peer.listenAddress"); got != "0.0.0.0:7051" {
		t.Errorf("docker listen address = %v", got)
	}
	compose := readYAML(t, l.ComposeFile())
	services := compose["services"].(map[string]any)
	if len(services) != len(s.Nodes()) {
		t.Errorf("compose services = %d, want %d", len(services), len(s.Nodes()))
	}
	o := services["orderer0.orderer.kaiban.local"].(map[string]any)
	if o["image"] != "hyperledger/fabric-orderer:3.1" || o["working_dir"] != "/kaiban-net/nodes/orderer0.orderer.kaiban.local" {
		t.Errorf("orderer service = %v", o)
	}
	p, err := LoadProfile(filepath.Join(l.Dir, "connection", "docker", "OperatorMSP.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Endpoint != "peer0.operator.kaiban.local:7051" || !strings.HasPrefix(p.Cert, ContainerDir+"/organizations/") {
		t.Errorf("container profile = %+v", p)
	}
	// A chaincode server appears in the compose file once its package exists.
	pkg, _ := s.EnsurePackage("subject", "1.0")
	if err := WriteFile(l.PackageFile(pkg), []byte("package"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Render(l, s); err != nil {
		t.Fatal(err)
	}
	services = readYAML(t, l.ComposeFile())["services"].(map[string]any)
	cc, ok := services["cc-subject-1-0"].(map[string]any)
	if !ok {
		t.Fatalf("no chaincode service in %v", keys(services))
	}
	env := cc["environment"].(map[string]any)
	if !strings.HasPrefix(env["CHAINCODE_ID"].(string), "subject_1.0:") || cc["image"] != "kaiban/chaincode:1.0" {
		t.Errorf("chaincode service = %v", cc)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestBuilder_CCaaSScripts runs the generated external builder the way a
// peer does: detect, build, release over an unpacked CCaaS package.
func TestBuilder_CCaaSScripts(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	_, l, err := Init(t.TempDir(), Options{Departments: []string{model.DeptMarket}})
	if err != nil {
		t.Fatal(err)
	}
	src, meta, out, rel := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	conn := `{"address":"127.0.0.1:9999","dial_timeout":"10s","tls_required":false}`
	os.WriteFile(filepath.Join(src, "connection.json"), []byte(conn), 0o644)
	run := func(name string, args ...string) error {
		return exec.Command(filepath.Join(l.BuilderDir(), "bin", name), args...).Run()
	}
	os.WriteFile(filepath.Join(meta, "metadata.json"), []byte(`{"type":"golang","label":"x"}`), 0o644)
	if err := run("detect", src, meta); err == nil {
		t.Error("detect accepted a golang package")
	}
	os.WriteFile(filepath.Join(meta, "metadata.json"), []byte(`{"label":"subject_1.0","type":"ccaas"}`), 0o644)
	if err := run("detect", src, meta); err != nil {
		t.Errorf("detect refused a ccaas package: %v", err)
	}
	if err := run("build", src, meta, out); err != nil {
		t.Fatalf("build: %v", err)
	}
	if err := run("release", out, rel); err != nil {
		t.Fatalf("release: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(rel, "chaincode", "server", "connection.json"))
	if err != nil || string(got) != conn {
		t.Errorf("released connection.json = %q, %v", got, err)
	}
}

func TestEnsureMemberKey_Stable(t *testing.T) {
	l := Layout{Dir: t.TempDir()}
	a, err := EnsureMemberKey(l, "MarketMSP")
	if err != nil {
		t.Fatal(err)
	}
	b, err := EnsureMemberKey(l, "MarketMSP")
	if err != nil || a.PublicKeyPEM != b.PublicKeyPEM {
		t.Errorf("second EnsureMemberKey gave another key (%v)", err)
	}
	if st, _ := os.Stat(filepath.Join(l.MemberDir("MarketMSP"), "sm2_sk.pem")); st.Mode().Perm() != 0o600 {
		t.Errorf("SM2 private key mode = %v", st.Mode().Perm())
	}
}

func TestLoad_NotInitialized(t *testing.T) {
	_, _, err := Load(t.TempDir())
	var ni *NotInitializedError
	if !errors.As(err, &ni) || !strings.Contains(err.Error(), "kaiban-net init") {
		t.Errorf("Load of an empty directory = %v", err)
	}
}
