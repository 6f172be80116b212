package audit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestMiddleware_RecordsEveryCall(t *testing.T) {
	gin.SetMode(gin.TestMode)
	l, _ := newLog(t)
	r := gin.New()
	r.Use(func(c *gin.Context) { c.Header("X-Request-ID", "rid-"+c.Request.Method); c.Next() })
	r.Use(Middleware(l))
	r.Use(func(c *gin.Context) { // a stand-in for the authentication middleware
		if c.GetHeader("Authorization") == "" {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		SetActor(c.Request.Context(), Actor{Kind: ActorUser, ID: "u-1", Name: "alice"})
	})
	r.GET("/api/v1/things/:id", func(c *gin.Context) {
		// a data access recorded by domain code inside the call
		if err := l.Record(c.Request.Context(), Entry{Action: "pii.read", Resource: "thing:" + c.Param("id"), Result: ResultOK}); err != nil {
			t.Error(err)
		}
		c.String(http.StatusOK, "ok")
	})
	r.POST("/api/v1/things", func(c *gin.Context) { c.Status(http.StatusBadRequest) })
	r.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusOK) })

	do := func(method, path string, auth bool) {
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.RemoteAddr = "192.0.2.7:4321"
		if auth {
			req.Header.Set("Authorization", "Bearer x")
		}
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	do("GET", "/api/v1/things/42?name=%E5%BC%A0%E4%B8%89", true)
	do("POST", "/api/v1/things", true)
	// A write's record is committed before its response leaves.
	if recs, err := l.Query(context.Background(), Filter{Action: "POST /api/v1/things"}); err != nil || len(recs) != 1 {
		t.Fatalf("write not recorded synchronously: %v %v", recs, err)
	}
	do("GET", "/api/v1/things/7", false)
	do("GET", "/healthz", false)
	do("GET", "/nowhere", false)
	l.Close() // flush the queued reads

	recs, err := l.Query(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ action, actor, result, source, rid string }
	got := map[string]row{}
	for _, rec := range recs {
		got[rec.Action+" "+rec.Resource] = row{rec.Action, rec.ActorID, rec.Result, rec.Source, rec.RequestID}
		if strings.Contains(rec.Detail, "张") || strings.Contains(rec.Detail, "%E5") {
			t.Fatalf("query value copied into the log: %s", rec.Detail)
		}
	}
	want := map[string]row{
		"GET /api/v1/things/:id /api/v1/things/42": {"GET /api/v1/things/:id", "u-1", ResultOK, "192.0.2.7", "rid-GET"},
		"pii.read thing:42":                        {"pii.read", "u-1", ResultOK, "192.0.2.7", ""},
		"POST /api/v1/things /api/v1/things":       {"POST /api/v1/things", "u-1", ResultRejected, "192.0.2.7", "rid-POST"},
		"GET /api/v1/things/:id /api/v1/things/7":  {"GET /api/v1/things/:id", "", ResultDenied, "192.0.2.7", "rid-GET"},
		"GET (no route) /nowhere":                  {"GET (no route)", "", ResultDenied, "192.0.2.7", "rid-GET"},
	}
	if len(got) != len(want) {
		t.Fatalf("recorded %d calls, want %d: %+v", len(got), len(want), got)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %+v, want %+v", k, got[k], w)
		}
	}
}

func TestMiddleware_RecordsAPanickingHandler(t *testing.T) {
	gin.SetMode(gin.TestMode)
	l, _ := newLog(t)
	r := gin.New()
	r.Use(gin.CustomRecovery(func(c *gin.Context, _ any) { c.AbortWithStatus(http.StatusInternalServerError) }))
	r.Use(Middleware(l))
	r.POST("/api/v1/boom", func(*gin.Context) { panic("boom") })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/boom", nil))
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	recs, err := l.Query(context.Background(), Filter{Action: "POST /api/v1/boom"})
	if err != nil || len(recs) != 1 || recs[0].Status != 500 || recs[0].Result != ResultError || !strings.Contains(recs[0].Detail, "panic") {
		t.Fatalf("panicking call recorded as %+v, %v", recs, err)
	}
}

// A write whose audit row cannot be committed answers 500, never the 2xx its
// handler wrote; a write that is recorded answers what the handler wrote, held
// until then.
func TestMiddleware_WriteFailsClosedWithoutItsRow(t *testing.T) {
	gin.SetMode(gin.TestMode)
	l, pool := newLog(t)
	r := gin.New()
	r.Use(Middleware(l))
	r.POST("/api/v1/things", func(c *gin.Context) {
		c.Header("Location", "/api/v1/things/1")
		c.JSON(http.StatusCreated, gin.H{"id": "1"})
	})
	post := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/things", strings.NewReader("{}")))
		return rec
	}
	if rec := post(); rec.Code != 201 || rec.Body.String() != `{"id":"1"}` || rec.Header().Get("Location") == "" {
		t.Fatalf("recorded write answered %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
		CREATE TRIGGER refuse BEFORE INSERT ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse();`); err != nil {
		t.Fatal(err)
	}
	rec := post()
	if rec.Code != 500 || rec.Header().Get("Location") != "" || !strings.Contains(rec.Body.String(), "urn:kaiban:problem:internal") ||
		rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("unrecorded write answered %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

// TestRequestDetail_AsJSONMarshal: the hand-built detail is byte for byte
// what json.Marshal makes of the same fields.
func TestRequestDetail_AsJSONMarshal(t *testing.T) {
	type detail struct {
		Params     []string `json:"params,omitempty"`
		DurationMS int64    `json:"durationMs"`
		Bytes      int      `json:"bytes"`
		Error      string   `json:"error,omitempty"`
	}
	for _, d := range []detail{
		{},
		{DurationMS: 12, Bytes: 345},
		{Params: []string{"limit", "q\"<x>"}, DurationMS: 1, Bytes: 2, Error: "bad \"input\"\n\t<script>&é"},
		{Error: "x"},
	} {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := requestDetail(d.Params, d.DurationMS, d.Bytes, d.Error); got != string(want) {
			t.Errorf("requestDetail = %s, want %s", got, want)
		}
	}
}
