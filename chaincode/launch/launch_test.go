package launch

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv_ClassicWhenUnset(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil || cfg.Address != "" || !cfg.TLS.Disabled {
		t.Fatalf("FromEnv(empty) = %+v, %v; want classic mode", cfg, err)
	}
}

func TestFromEnv_ServiceWithoutTLS(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{EnvAddress: "127.0.0.1:9999", EnvID: "asset:abc"}))
	if err != nil || cfg.Address != "127.0.0.1:9999" || cfg.ID != "asset:abc" || !cfg.TLS.Disabled {
		t.Fatalf("FromEnv = %+v, %v", cfg, err)
	}
}

func TestFromEnv_ServiceWithTLS(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := FromEnv(env(map[string]string{
		EnvAddress: ":9999", EnvID: "asset:abc", EnvTLSDisabled: "false",
		EnvTLSKey: write("key.pem", "KEY"), EnvTLSCert: write("cert.pem", "CERT"), EnvClientCA: write("ca.pem", "CA"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS.Disabled || string(cfg.TLS.Key) != "KEY" || string(cfg.TLS.Cert) != "CERT" || string(cfg.TLS.ClientCACerts) != "CA" {
		t.Fatalf("TLS = %+v", cfg.TLS)
	}
}

func TestFromEnv_Errors(t *testing.T) {
	cases := map[string]map[string]string{
		"address without id":   {EnvAddress: ":9999"},
		"id without address":   {EnvID: "asset:abc"},
		"tls flag not boolean": {EnvAddress: ":1", EnvID: "x", EnvTLSDisabled: "maybe"},
		"tls without key":      {EnvAddress: ":1", EnvID: "x", EnvTLSDisabled: "false"},
		"tls key missing file": {EnvAddress: ":1", EnvID: "x", EnvTLSDisabled: "false", EnvTLSKey: "/nonexistent/key.pem"},
	}
	for name, m := range cases {
		if _, err := FromEnv(env(m)); err == nil {
			t.Errorf("%s: FromEnv succeeded", name)
		} else if !strings.Contains(err.Error(), "CHAINCODE_") {
			t.Errorf("%s: error %q does not name the variable", name, err)
		}
	}
}

type goodContract struct{ contractapi.Contract }

func (goodContract) Ping() string { return "pong" }

type badContract struct{ contractapi.Contract }

// Echo takes a channel, which contractapi cannot serialise, so building the
// chaincode fails.
func (badContract) Echo(c chan int) {}

func TestRun_BadContract(t *testing.T) {
	err := Run(&badContract{}, Config{Address: "127.0.0.1:0", ID: "x"})
	if err == nil || !strings.Contains(err.Error(), "build chaincode") {
		t.Fatalf("Run(bad contract) = %v", err)
	}
}

func TestRun_UnusableAddress(t *testing.T) {
	err := Run(&goodContract{}, Config{Address: "not-an-address", ID: "x", TLS: shim.TLSProperties{Disabled: true}})
	if err == nil || !strings.Contains(err.Error(), "not-an-address") {
		t.Fatalf("Run(bad address) = %v", err)
	}
}

type record struct {
	ID    string   `json:"id"`
	Items []string `json:"items,omitempty" metadata:",optional"`
}

type recordContract struct{ contractapi.Contract }

func (recordContract) Get(id string) (*record, error) { return &record{ID: id}, nil }

// TestNewChaincode_SameBytesWithoutSchemaPass: the trusted serializer returns
// exactly what contractapi's own returns, only without re-validating it.
func TestNewChaincode_SameBytesWithoutSchemaPass(t *testing.T) {
	plain, err := contractapi.NewChaincode(&recordContract{})
	if err != nil {
		t.Fatal(err)
	}
	built, err := NewChaincode(&recordContract{})
	if err != nil {
		t.Fatal(err)
	}
	trusted, ok := built.(*contractapi.ContractChaincode)
	if !ok {
		t.Fatalf("NewChaincode without options built a %T", built)
	}
	for _, cc := range []*contractapi.ContractChaincode{plain, trusted} {
		got, err := cc.TransactionSerializer.ToString(reflect.ValueOf(&record{ID: "a"}), reflect.TypeOf(&record{}), nil, nil)
		if err != nil || got != `{"id":"a"}` {
			t.Fatalf("%T: %q, %v", cc.TransactionSerializer, got, err)
		}
	}
	if _, ok := trusted.TransactionSerializer.(*trustedSerializer); !ok {
		t.Fatalf("NewChaincode serializer is %T", trusted.TransactionSerializer)
	}
	if _, err := NewChaincode(&badContract{}); err == nil {
		t.Fatal("NewChaincode accepted an unserialisable contract")
	}
}
