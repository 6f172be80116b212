package participation

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// fakeOrderer serves the participation API over mutual TLS like an orderer's
// admin endpoint, keeping joined channels in memory.
func fakeOrderer(t *testing.T) (*Client, *sync.Map) {
	t.Helper()
	dir := t.TempDir()
	org := cryptogen.OrgSpec{MSPID: "OrdererMSP", Domain: "orderer.test", Orderer: true, Hosts: []string{"127.0.0.1"}}
	if err := cryptogen.Generate(dir, []cryptogen.OrgSpec{org}); err != nil {
		t.Fatal(err)
	}
	l := cryptogen.Layout{Dir: dir}
	srvTLS, err := l.NodeTLS(org, 0)
	if err != nil {
		t.Fatal(err)
	}
	cliTLS, err := l.UserTLS(org, "Admin")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srvTLS.CAPEM)
	srvCert, _ := tls.X509KeyPair(srvTLS.CertPEM, srvTLS.KeyPEM)
	cliCert, _ := tls.X509KeyPair(cliTLS.CertPEM, cliTLS.KeyPEM)

	channels := &sync.Map{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+basePath, func(w http.ResponseWriter, r *http.Request) {
		var list struct {
			Channels []ChannelInfo `json:"channels"`
		}
		channels.Range(func(k, v any) bool { list.Channels = append(list.Channels, v.(ChannelInfo)); return true })
		json.NewEncoder(w).Encode(list)
	})
	mux.HandleFunc("GET "+basePath+"/{name}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := channels.Load(r.PathValue("name"))
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"error": "channel does not exist"})
			return
		}
		json.NewEncoder(w).Encode(v)
	})
	mux.HandleFunc("POST "+basePath, func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("config-block")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(f)
		b := &cb.Block{}
		if err := proto.Unmarshal(data, b); err != nil || b.Header == nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "bad block"})
			return
		}
		info := ChannelInfo{Name: string(b.Header.DataHash), ConsensusRelation: "consenter", Status: "active", Height: 1}
		if _, loaded := channels.LoadOrStore(info.Name, info); loaded {
			w.WriteHeader(http.StatusMethodNotAllowed)
			json.NewEncoder(w).Encode(map[string]string{"error": "cannot join: channel already exists"})
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(info)
	})
	mux.HandleFunc("DELETE "+basePath+"/{name}", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := channels.LoadAndDelete(r.PathValue("name")); !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "https://")
	return New(addr, org.NodeName(0), pool, cliCert), channels
}

func TestClient_JoinListInfoRemove(t *testing.T) {
	c, _ := fakeOrderer(t)
	ctx := t.Context()
	if _, err := c.Info(ctx, "kaiban"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Info of an unknown channel = %v, want ErrNotFound", err)
	}
	block := &cb.Block{Header: &cb.BlockHeader{DataHash: []byte("kaiban")}}
	info, err := c.Join(ctx, block)
	if err != nil || info.Name != "kaiban" || info.Status != "active" {
		t.Fatalf("Join = %+v, %v", info, err)
	}
	_, err = c.Join(ctx, block)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(apiErr.Message, "already exists") {
		t.Errorf("second Join = %v", err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "kaiban" {
		t.Errorf("List = %+v, %v", list, err)
	}
	if info, err := c.Info(ctx, "kaiban"); err != nil || info.ConsensusRelation != "consenter" {
		t.Errorf("Info = %+v, %v", info, err)
	}
	if err := c.Remove(ctx, "kaiban"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, "kaiban"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove = %v, want ErrNotFound", err)
	}
}

func TestClient_RequiresTheOrderersCA(t *testing.T) {
	c, _ := fakeOrderer(t)
	c.http.Transport.(*http.Transport).TLSClientConfig.RootCAs = x509.NewCertPool()
	if _, err := c.List(t.Context()); err == nil {
		t.Error("List trusted an orderer certificate from an unknown CA")
	}
}
