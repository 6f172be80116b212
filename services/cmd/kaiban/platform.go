package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/config"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgcluster"
	"github.com/kaiban-platform/kaiban/services/internal/postgres"
)

// platform is what the services of one process share, opened once: the
// database pool, the chain client, the object store, the master key and the
// metrics registry. Close releases everything in reverse order of opening.
type platform struct {
	cfg      config.Config
	log      *slog.Logger
	registry *prometheus.Registry
	pool     *pgxpool.Pool
	chain    *chain.Client
	store    objectstore.Store
	outbox   *outbox.Outbox
	master   []byte
	// checks are the readiness checks of the services the process runs.
	checks  []httpapi.Check
	closers []func()
	// report lists what was started, for the summary a process prints.
	report [][2]string
	// devnetOps is the address of the embedded devnet's /healthz and
	// /metrics, which monitoring probes.
	devnetOps string
	// devnet describes the embedded devnet when this process runs one
	// (kaiban dev), for the versions operators see; empty otherwise.
	devnet string
	// getenv reads the settings that live in the environment only (the
	// simulators', the demo data's); nil reads the process's.
	getenv func(string) string
	// demo, set by kaiban dev only, seeds the demo accounts and data.
	demo *demo
}

// env reads an environment-only setting.
func (p *platform) env(key string) string {
	if p.getenv != nil {
		return p.getenv(key)
	}
	return os.Getenv(key)
}

func newPlatform(cfg config.Config, log *slog.Logger) *platform {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &platform{cfg: cfg, log: log, registry: reg}
}

func (p *platform) onClose(f func()) { p.closers = append(p.closers, f) }

func (p *platform) started(what, detail string) {
	p.report = append(p.report, [2]string{what, detail})
}

// Close releases what the platform opened, last first.
func (p *platform) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	p.closers = nil
}

// key derives the key of one purpose from the master key:
// HMAC-SM3(master, "kaiban/" + purpose), its first n bytes (n ≤ 32). Each
// consumer gets its own key, so that none can be computed from another.
func (p *platform) key(purpose string, n int) []byte {
	return gm.HMAC(p.master, []byte("kaiban/"+purpose))[:n]
}

// loadMasterKey reads the master key from the configuration or its file;
// with create (kaiban dev) a missing file is created with a new random key.
func (p *platform) loadMasterKey(what string, create bool) error {
	s := p.cfg.Secrets
	if s.MasterKey != "" {
		p.master, _ = hex.DecodeString(strings.TrimSpace(s.MasterKey)) // validated by config
		p.started("master key", "from the configuration")
		return nil
	}
	if s.MasterKeyFile == "" {
		return p.cfg.Require(what, "secrets.masterKey")
	}
	data, err := os.ReadFile(s.MasterKeyFile)
	if errors.Is(err, fs.ErrNotExist) && create {
		if err := writeNewKey(s.MasterKeyFile); err != nil {
			return err
		}
		p.started("master key", "new, in "+s.MasterKeyFile+" (keep it: without it sealed data cannot be read)")
		data, err = os.ReadFile(s.MasterKeyFile)
	} else if err == nil {
		p.started("master key", "from "+s.MasterKeyFile)
	}
	if err != nil {
		return fmt.Errorf("master key: %w (set secrets.masterKey or secrets.masterKeyFile)", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != config.MasterKeySize {
		return fmt.Errorf("master key file %s: want %d hex digits", s.MasterKeyFile, 2*config.MasterKeySize)
	}
	p.master = key
	return nil
}

func writeNewKey(path string) error {
	key := make([]byte, config.MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	// The folder stays traversable (the PostgreSQL cluster of kaiban dev may
	// live beside the key and run as another user); the file is the owner's.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("master key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("master key: %w", err)
	}
	return f.Close()
}

// localDatabase starts (or finds running) the project's PostgreSQL cluster
// under database.localDir and returns the URL of its kaiban database,
// creating the database on first use. A cluster this process started is
// stopped when the platform closes.
func (p *platform) localDatabase(ctx context.Context) (string, error) {
	dir, err := filepath.Abs(p.cfg.Database.LocalDir)
	if err != nil {
		return "", err
	}
	c := &pgcluster.Cluster{Dir: dir, Port: p.cfg.Database.LocalPort, Log: logWriter{p.log}}
	wasRunning := portOpen(p.cfg.Database.LocalPort)
	if err := c.Ensure(ctx); err != nil {
		return "", fmt.Errorf("local PostgreSQL: %w", err)
	}
	if !wasRunning {
		p.onClose(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := c.Stop(sctx); err != nil {
				p.log.Warn("stop local PostgreSQL", "error", err.Error())
			}
		})
	}
	u, err := url.Parse(c.URL())
	if err != nil {
		return "", err
	}
	u.Path = "/kaiban"
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		return "", fmt.Errorf("local PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'kaiban')").Scan(&exists); err != nil {
		return "", fmt.Errorf("local PostgreSQL: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE kaiban"); err != nil {
			return "", fmt.Errorf("local PostgreSQL: create database kaiban: %w", err)
		}
	}
	how := "local cluster in " + p.cfg.Database.LocalDir
	if wasRunning {
		how += ", already running"
	}
	p.started("PostgreSQL", u.String()+" ("+how+")")
	return u.String(), nil
}

func portOpen(port int) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 300*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// openDatabase connects the pool; database.maxConns becomes pgxpool's
// pool_max_conns parameter of the connection string.
func (p *platform) openDatabase(ctx context.Context, dbURL string) error {
	if n := p.cfg.Database.MaxConns; n > 0 {
		dbURL = withParam(dbURL, "pool_max_conns", strconv.Itoa(int(n)))
	}
	pool, err := postgres.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	p.pool = pool
	p.onClose(pool.Close)
	return nil
}

// withParam adds a parameter to a URL or key=value connection string.
func withParam(conn, key, value string) string {
	if !strings.Contains(conn, "://") {
		return conn + " " + key + "=" + value
	}
	sep := "?"
	if strings.Contains(conn, "?") {
		sep = "&"
	}
	return conn + sep + key + "=" + url.QueryEscape(value)
}

// migrate applies the goose migrations and River's, and reports them.
func (p *platform) migrate(ctx context.Context) error {
	applied, err := postgres.Migrate(ctx, p.pool)
	if err != nil {
		return err
	}
	river, err := jobs.Migrate(ctx, p.pool)
	if err != nil {
		return err
	}
	status, err := postgres.Status(ctx, p.pool)
	if err != nil {
		return err
	}
	latest := int64(0)
	for _, s := range status {
		if s.Applied {
			latest = max(latest, s.Version)
		}
	}
	p.started("migrations", fmt.Sprintf("%d applied now, schema at %05d; River: %d applied now", len(applied), latest, len(river)))
	return nil
}

// openStore opens the object store of the configuration.
func (p *platform) openStore(ctx context.Context) error {
	o := p.cfg.Objects
	switch o.Kind {
	case config.ObjectsMinIO:
		s, err := objectstore.NewMinIO(ctx, objectstore.MinIOConfig{
			Endpoint: o.Endpoint, AccessKey: o.AccessKey, SecretKey: o.SecretKey,
			Bucket: o.Bucket, Region: o.Region, Secure: o.Secure,
		})
		if err != nil {
			return fmt.Errorf("object store: %w", err)
		}
		p.store = s
		scheme := "http"
		if o.Secure {
			scheme = "https"
		}
		p.started("objects", fmt.Sprintf("MinIO %s://%s, bucket %s", scheme, o.Endpoint, o.Bucket))
	default:
		s, err := objectstore.NewFS(o.Dir)
		if err != nil {
			return fmt.Errorf("object store: %w", err)
		}
		p.store = s
		p.started("objects", "filesystem "+o.Dir)
	}
	return nil
}

// connectChain connects the ledger client.
func (p *platform) connectChain(cfg chain.Config, where string) error {
	c, err := chain.Connect(cfg)
	if err != nil {
		return err
	}
	p.chain = c
	p.onClose(func() { _ = c.Close() })
	p.started("chain client", fmt.Sprintf("%d identities of %d organisations via %s", len(c.Identities()), len(cfg.Orgs), where))
	return nil
}

// openOutbox makes the chain outbox that the api enqueues into and the
// worker submits from; its transient data is sealed under a derived key.
func (p *platform) openOutbox() error {
	if p.outbox != nil {
		return nil
	}
	ob, err := outbox.New(p.pool, p.chain, outbox.Config{Key: p.key("outbox", 16)})
	if err != nil {
		return err
	}
	p.outbox = ob
	return nil
}

// chainConfig is the ledger client's configuration for the organisation of
// the chain section.
func chainConfig(c config.Chain) chain.Config {
	return chain.Config{Orgs: []chain.OrgConfig{{
		MSPID:            c.MSPID,
		PeerEndpoint:     c.Endpoint,
		PeerHostOverride: c.ServerName,
		TLSRootCert:      c.TLSRootCert,
		CertPath:         c.Cert,
		KeyPath:          c.Key,
		Channel:          c.Channel,
	}}}
}

// Checks of the dependencies, for /readyz.

func (p *platform) databaseCheck() httpapi.Check {
	return httpapi.Check{Name: "database", Checker: httpapi.CheckFunc(p.pool.Ping)}
}

func (p *platform) objectsCheck() httpapi.Check {
	return httpapi.Check{Name: "objects", Checker: httpapi.CheckFunc(p.store.Check)}
}

// chainCheck evaluates the contract metadata query that every contractapi
// chaincode answers: it proves the peer is reachable, accepts the
// platform's identity and has the subject chaincode, and writes nothing.
func (p *platform) chainCheck() httpapi.Check {
	return httpapi.Check{Name: "chain", Checker: httpapi.CheckFunc(func(ctx context.Context) error {
		ct, err := p.chain.Contract(p.chain.Identities()[0], model.ChaincodeSubject)
		if err != nil {
			return err
		}
		_, err = ct.Evaluate(ctx, "org.hyperledger.fabric:GetMetadata")
		return err
	})}
}

// logWriter turns progress lines of helpers (pgcluster) into log records.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(b []byte) (int, error) {
	w.log.Info(strings.TrimSpace(string(b)))
	return len(b), nil
}
