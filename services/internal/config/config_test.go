package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_DefaultsAreValid(t *testing.T) {
	c, rest, err := Load("dev", nil, env(nil), io.Discard)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if len(rest) != 0 {
		t.Fatalf("rest = %v", rest)
	}
	if c.HTTP.Listen != ":8080" || c.Objects.Kind != ObjectsFS || c.Chain.Devnet.Dir != ".kaiban/devnet" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestLoad_Precedence(t *testing.T) {
	file := writeFile(t, "kaiban.yaml", `
http:
  listen: "127.0.0.1:1001"
  rateLimit: 5
  shutdownTimeout: 3s
  trustedProxies: [10.0.0.0/8, 192.168.1.1]
database:
  maxConns: 7
log:
  level: debug
`)
	e := map[string]string{
		"KAIBAN_HTTP_LISTEN":     "127.0.0.1:1002",
		"KAIBAN_HTTP_RATE_LIMIT": "6",
	}
	args := []string{"--config", file, "--http-listen", "127.0.0.1:1003", "api"}
	c, rest, err := Load("serve", args, env(e), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"flag over env and file", c.HTTP.Listen, "127.0.0.1:1003"},
		{"env over file", c.HTTP.RateLimit, 6.0},
		{"file over default (duration)", c.HTTP.ShutdownTimeout, 3 * time.Second},
		{"file over default (int32)", c.Database.MaxConns, int32(7)},
		{"file over default (string)", c.Log.Level, "debug"},
		{"default kept", c.HTTP.RateBurst, 400},
		{"file list", strings.Join(c.HTTP.TrustedProxies, " "), "10.0.0.0/8 192.168.1.1"},
		{"positional arguments", strings.Join(rest, " "), "api"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoad_ConfigFileFromEnvAndJSON(t *testing.T) {
	file := writeFile(t, "kaiban.json", `{"objects": {"kind": "minio", "endpoint": "127.0.0.1:9000",
		"accessKey": "kaiban", "secretKey": "s3cr3t-key", "secure": true}}`)
	c, _, err := Load("dev", nil, env(map[string]string{FileEnv: file}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Objects.Kind != ObjectsMinIO || !c.Objects.Secure || c.Objects.SecretKey != "s3cr3t-key" {
		t.Fatalf("objects = %+v", c.Objects)
	}
}

func TestLoad_DatabaseURLAliases(t *testing.T) {
	c, _, err := Load("dev", nil, env(map[string]string{"DATABASE_URL": "postgres://a@h/db"}), io.Discard)
	if err != nil || c.Database.URL != "postgres://a@h/db" {
		t.Fatalf("DATABASE_URL: %q, %v", c.Database.URL, err)
	}
	c, _, err = Load("dev", nil, env(map[string]string{
		"DATABASE_URL": "postgres://a@h/db", "KAIBAN_DATABASE_URL": "postgres://b@h/db",
	}), io.Discard)
	if err != nil || c.Database.URL != "postgres://b@h/db" {
		t.Fatalf("KAIBAN_DATABASE_URL must win over DATABASE_URL: %q, %v", c.Database.URL, err)
	}
}

func TestLoad_BoolFlagWithoutValue(t *testing.T) {
	c, _, err := Load("dev", []string{"--objects-secure"}, env(nil), io.Discard)
	if err != nil || !c.Objects.Secure {
		t.Fatalf("--objects-secure: %v %v", c.Objects.Secure, err)
	}
}

func TestLoad_Errors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want []string
	}{
		{name: "bad flag value", args: []string{"--http-rate-limit", "fast"}, want: []string{"--http-rate-limit", `"fast" is not a number`}},
		{name: "bad env value", env: map[string]string{"KAIBAN_HTTP_IDLE_TIMEOUT": "10"}, want: []string{"KAIBAN_HTTP_IDLE_TIMEOUT", "not a duration"}},
		{name: "unknown flag", args: []string{"--http-lisen", ":1"}, want: []string{"http-lisen"}},
		{name: "unknown file key", file: "http:\n  lisen: ':1'\nnope: 1\n", want: []string{"unknown key http.lisen", "unknown key nope"}},
		{name: "bad file value", file: "database:\n  localPort: many\n", want: []string{"database.localPort", "not a whole number"}},
		{name: "bad file syntax", file: "http: [\n", want: []string{"config file"}},
		{name: "missing file", args: []string{"--config", "/nonexistent/kaiban.yaml"}, want: []string{"config file", "no such file"}},
		{
			name: "validation reports everything",
			args: []string{"--http-listen", "8080", "--objects-kind", "s3", "--log-level", "loud", "--jobs-workers", "0", "--http-trusted-proxies", "10.0.0.0/8,proxy"},
			want: []string{"http.listen", "objects.kind", "log.level", "jobs.workers", `"proxy"`},
		},
		{name: "minio needs its keys", args: []string{"--objects-kind", "minio"}, want: []string{"objects.endpoint", "objects.accessKey", "objects.secretKey"}},
		{name: "database URL scheme", args: []string{"--database-url", "mysql://x"}, want: []string{"database.url"}},
		{name: "cert without key", args: []string{"--chain-cert", "c.pem"}, want: []string{"chain.cert and chain.key"}},
		{name: "bad channel and endpoint", args: []string{"--chain-channel", "Bad_Channel", "--chain-endpoint", "peer0"}, want: []string{"chain.channel", "chain.endpoint"}},
		{name: "master key not hex", args: []string{"--secrets-master-key", "zz"}, want: []string{"secrets.masterKey", "64 hex digits"}},
		{name: "integrator endpoints", args: []string{"--http-endpoints-production", "api.example.cn/api/v1", "--http-endpoints-test", "https://test.example.cn/api/v1?x=1"}, want: []string{"http.endpoints.production", "http.endpoints.test"}},
		{name: "master key short", env: map[string]string{"KAIBAN_SECRETS_MASTER_KEY": "abcd"}, want: []string{"secrets.masterKey"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeFile(t, "c.yaml", tc.file)}, args...)
			}
			_, _, err := Load("dev", args, env(tc.env), io.Discard)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoad_Help(t *testing.T) {
	var out bytes.Buffer
	_, _, err := Load("dev", []string{"-h"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, w := range []string{"--http-listen", "KAIBAN_HTTP_LISTEN", "DATABASE_URL", `default ":8080"`, "--config FILE"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("usage lacks %q", w)
		}
	}
}

func TestMaskedJSON_HidesSecrets(t *testing.T) {
	c := Default()
	c.Database.URL = "postgres://kaiban:hunter2@db.internal:5432/kaiban?sslmode=require&password=hunter3"
	c.Objects.SecretKey = "minio-secret"
	c.Objects.AccessKey = "minio-access"
	c.Secrets.MasterKey = strings.Repeat("ab", MasterKeySize)
	out := string(c.MaskedJSON())
	for _, secret := range []string{"hunter2", "hunter3", "minio-secret", "abababab"} {
		if strings.Contains(out, secret) {
			t.Errorf("printed config shows %q: %s", secret, out)
		}
	}
	for _, kept := range []string{"kaiban:******@db.internal:5432/kaiban", "sslmode=require", "minio-access", `"listen":":8080"`, `"shutdownTimeout":"15s"`} {
		if !strings.Contains(out, kept) {
			t.Errorf("printed config lacks %q: %s", kept, out)
		}
	}
	var back map[string]map[string]any
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if back["objects"]["secretKey"] != mask || back["chain"]["devnet"].(map[string]any)["dir"] != ".kaiban/devnet" {
		t.Fatalf("round trip: %v", back)
	}
	// Fields in declaration order: http first, log last.
	if !strings.HasPrefix(out, `{"http":{"listen"`) || !strings.HasSuffix(out, `"log":{"level":"info","format":"json"}}`) || !strings.Contains(out, `"masterKey":"******"`) {
		t.Errorf("order: %s", out)
	}
}

func TestMaskURL_HidesPasswordsOnly(t *testing.T) {
	cases := map[string]string{
		"":                               "",
		"postgres://u@h/db":              "postgres://u@h/db",
		"postgres://u:p@h/db":            "postgres://u:******@h/db",
		"host=h user=u password=p1 x=y":  "host=h user=u password=****** x=y",
		"host=h password='a b' x=y":      "host=h password=****** x=y",
		"postgres://u:p@h/db?password=q": "postgres://u:******@h/db?password=******",
		"postgres://%zz":                 mask,
	}
	for in, want := range cases {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequire_NamesEveryWayToSet(t *testing.T) {
	err := Default().Require("kaiban migrate", "database.url", "chain.endpoint")
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"kaiban migrate needs database.url", "KAIBAN_DATABASE_URL or DATABASE_URL", "--database-url", "chain.endpoint"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	c := Default()
	c.Database.URL = "postgres://h/db"
	if err := c.Require("x", "database.url"); err != nil {
		t.Fatal(err)
	}
}

func TestFields_NamesDerivedFromPath(t *testing.T) {
	want := map[string][2]string{
		"http.maxBodyBytes":     {"http-max-body-bytes", "KAIBAN_HTTP_MAX_BODY_BYTES"},
		"secrets.masterKeyFile": {"secrets-master-key-file", "KAIBAN_SECRETS_MASTER_KEY_FILE"},
		"chain.devnet.tls":      {"chain-devnet-tls", "KAIBAN_CHAIN_DEVNET_TLS"},
		"chain.mspId":           {"chain-msp-id", "KAIBAN_CHAIN_MSP_ID"},
		"chain.devnet.listen":   {"chain-devnet-listen", "KAIBAN_CHAIN_DEVNET_LISTEN"},
	}
	for key, names := range want {
		f, ok := fieldByKey(key)
		if !ok {
			t.Fatalf("no field %s", key)
		}
		if f.flag != names[0] || f.envs[0] != names[1] {
			t.Errorf("%s: flag %s env %s, want %v", key, f.flag, f.envs[0], names)
		}
	}
	if !strings.Contains(Reference(), "| `database.url` | `KAIBAN_DATABASE_URL`, `DATABASE_URL` | `--database-url` |") {
		t.Errorf("reference row for database.url missing:\n%s", Reference())
	}
}

// TestLoad_KaibanNetProfileIsAConfigFile reads a profile as kaiban-net
// writes it (network/consortium): a configuration file with only the chain
// section, which must load as it is.
func TestLoad_KaibanNetProfileIsAConfigFile(t *testing.T) {
	file := writeFile(t, "OperatorMSP.yaml", `# kaiban configuration for this organisation on this channel, written by
# kaiban-net from network.yaml.
chain:
  channel: kaiban
  endpoint: peer0.operator.example.com:7051
  serverName: peer0.operator.example.com
  tlsRootCert: /net/crypto/tlsca-cert.pem
  mspId: OperatorMSP
  cert: /net/crypto/User1-cert.pem
  key: /net/crypto/priv_sk
`)
	c, _, err := Load("serve", []string{"--config", file}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Chain{Channel: "kaiban", Endpoint: "peer0.operator.example.com:7051", ServerName: "peer0.operator.example.com",
		TLSRootCert: "/net/crypto/tlsca-cert.pem", MSPID: "OperatorMSP", Cert: "/net/crypto/User1-cert.pem", Key: "/net/crypto/priv_sk",
		Devnet: Default().Chain.Devnet}
	if c.Chain != want {
		t.Fatalf("chain = %+v", c.Chain)
	}
}
