package departments_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/departments"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/sdk"
)

var ctx = context.Background()

// contract serves the task and issuance API for one process whose seven
// steps are all ready (the licence decided first is not modelled: each
// department sees its own step ready), and records what departments did.
type contract struct {
	mu        sync.Mutex
	decisions map[string]map[string]any // step → decision body
	documents map[string]map[string]any // kind → issue body
	reads     []string
}

func newContract(t *testing.T) (*contract, *httptest.Server) {
	c := &contract{decisions: map[string]map[string]any{}, documents: map[string]map[string]any{}}
	form, _ := json.Marshal(map[string]any{"name": "济南开办示范科技有限公司", "registeredCapital": "100",
		"address": "济南市历下区经十路 100 号", "scope": "软件开发", "legalRepresentative": map[string]any{"name": "张三"}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		dept := r.Header.Get("User-Agent") // each simulator's client names its department
		c.mu.Lock()
		defer c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/v1/tasks":
			var items []map[string]any
			if _, done := c.decisions[dept]; !done {
				items = append(items, map[string]any{"process": "process-1", "step": dept, "department": dept,
					"member": "M", "status": "pending", "ready": true, "overdue": false, "limitSeconds": 60,
					"item": "establishment", "applicant": "s1", "enterpriseName": "济南开办示范科技有限公司", "enterpriseType": "llc",
					"materials": []map[string]any{{"asset": "form-1", "type": "application-form", "granted": true}, {"asset": "id-1", "type": "id", "granted": false}}})
			}
			json.NewEncoder(w).Encode(map[string]any{"items": items})
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/materials/form-1"):
			c.reads = append(c.reads, dept+":"+req["reason"].(string))
			json.NewEncoder(w).Encode(map[string]any{"asset": "form-1", "type": "application-form", "contentDigest": "d",
				"content": base64.StdEncoding.EncodeToString(form)})
		case r.Method == "POST" && r.URL.Path == "/api/v1/issuance/documents":
			c.documents[req["kind"].(string)] = req
			w.WriteHeader(201)
			json.NewEncoder(w).Encode(map[string]any{"asset": "asset-" + dept, "kind": req["kind"], "pdfDigest": "d", "payload": "p", "queued": "q", "existing": false})
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/decision"):
			c.decisions[dept] = req
			w.WriteHeader(202)
			json.NewEncoder(w).Encode(map[string]any{"process": "process-1", "step": dept, "approve": req["approve"], "decision": "{}", "signature": "s", "queued": "q"})
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return c, srv
}

func depts(t *testing.T, url string) []departments.Department {
	var out []departments.Department
	for _, code := range departments.Codes {
		c, err := sdk.New(url, sdk.WithUserAgent(code))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, departments.Department{Code: code, Client: c, KeyPassword: "pw-" + code})
	}
	return out
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestFleet_AutoApprovesAfterDelayWithDocuments(t *testing.T) {
	c, srv := newContract(t)
	const delay = 300 * time.Millisecond
	start := time.Now()
	f, err := departments.Start(ctx, depts(t, srv.URL), departments.Config{Delay: delay, Poll: 20 * time.Millisecond, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.decisions)
		c.mu.Unlock()
		if n == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 7 departments decided", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if time.Since(start) < delay {
		t.Fatalf("decided before the delay of %v", delay)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, code := range departments.Codes {
		d := c.decisions[code]
		if d["approve"] != true || d["password"] != "pw-"+code || d["outputs"].([]any)[0] != "asset-"+code {
			t.Errorf("%s decision %v", code, d)
		}
	}
	if len(c.documents) != 7 {
		t.Fatalf("documents: %v", c.documents)
	}
	lic := c.documents[sdk.KindLicence]["licence"].(map[string]any)
	if lic["name"] != "济南开办示范科技有限公司" || lic["legalRepresentative"] != "张三" || lic["type"] != "有限责任公司" || lic["registeredCapital"] != "100 万元人民币" {
		t.Fatalf("licence %v", lic)
	}
	if len(c.reads) != 7 || !strings.Contains(c.reads[0], "审核") {
		t.Fatalf("material reads %v", c.reads)
	}
	tax := c.documents[sdk.KindTax]["results"].([]any)[0].(map[string]any)
	if tax["value"] != departments.USCC("process-1") {
		t.Fatalf("tax results %v", tax)
	}
}

func TestSimulator_ManualWaitsForAPerson(t *testing.T) {
	c, srv := newContract(t)
	s, err := departments.New(depts(t, srv.URL)[0], departments.Config{Mode: departments.Manual, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if n, err := s.Step(ctx); err != nil || n != 0 {
			t.Fatalf("manual step: %d, %v", n, err)
		}
	}
	if w := s.Waiting(); len(w) != 1 || w[0].Step != "market" {
		t.Fatalf("waiting %+v", w)
	}
	if len(c.decisions) != 0 || len(c.documents) != 0 {
		t.Fatalf("manual simulator acted: %v %v", c.decisions, c.documents)
	}
}

func TestSimulator_RejectRule(t *testing.T) {
	c, srv := newContract(t)
	s, err := departments.New(depts(t, srv.URL)[6], departments.Config{Logger: quiet(),
		Reject: func(t sdk.Task) (string, bool) { return "涉税信息不完整", t.Step == "tax" }})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Step(ctx); err != nil || n != 1 {
		t.Fatalf("step: %d, %v", n, err)
	}
	if d := c.decisions["tax"]; d["approve"] != false || d["opinion"] != "涉税信息不完整" || len(c.documents) != 0 {
		t.Fatalf("rejection %v, documents %v", d, c.documents)
	}
}

func TestUSCC_ValidCheckCharacter(t *testing.T) {
	for _, p := range []string{"process-1", "a", "0123456789abcdef0123456789abcdef"} {
		d := issuance.NoticeDocument(issuance.KindTax, strings.Repeat("a", 32), "TaxMSP", "税务局", departments.USCC(p), "公司",
			[]issuance.Field{{Key: "k", Label: "l", Value: "v"}}, time.Now())
		if err := d.Validate(); err != nil {
			t.Errorf("USCC(%q) = %s: %v", p, departments.USCC(p), err)
		}
	}
}

func TestNew_BadInput(t *testing.T) {
	c, _ := sdk.New("http://x")
	for _, d := range []departments.Department{{Code: "police", Client: c}, {Code: "tax"}} {
		if _, err := departments.New(d, departments.Config{}); err == nil {
			t.Errorf("New(%+v) accepted", d)
		}
	}
	if _, err := departments.New(departments.Department{Code: "tax", Client: c}, departments.Config{Mode: "sometimes"}); err == nil {
		t.Error("unknown mode accepted")
	}
	if _, err := departments.Start(ctx, []departments.Department{{Code: "tax", Client: c}, {Code: "tax", Client: c}}, departments.Config{}); err == nil {
		t.Error("a department twice accepted")
	}
}
