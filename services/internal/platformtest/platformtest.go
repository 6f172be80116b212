// Package platformtest is TEST SUPPORT: a real platform for the services'
// integration tests — a fresh migrated database, a devnet with the fixture
// consortium founded, the key service, a filesystem object store, the chain
// outbox with its River worker, the event projection and the locker — so a
// domain's tests add only what is theirs.
package platformtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"maps"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/projection"
	"github.com/riverqueue/river"
)

// Platform is a running test platform.
type Platform struct {
	Pool       *pgxpool.Pool
	Chain      *chain.Client
	Consortium *chaintest.Consortium
	Keys       *keys.Service
	Store      *objectstore.FS
	Outbox     *outbox.Outbox
	PII        *pii.Protector
	Locker     *locker.Service
}

// Options adjust the platform a test starts.
type Options struct {
	// OutboxWorkers is how many chain writes run at once; default 4.
	OutboxWorkers int
	// Register adds a domain's River workers, and Queues their queues, to
	// the worker that runs the outbox.
	Register func(*river.Workers)
	Queues   map[string]int
}

// Start starts a platform for t and stops it when t ends.
func Start(t testing.TB, o Options) *Platform {
	t.Helper()
	ctx := context.Background()
	p := &Platform{Pool: pgtest.New(t)}
	if _, err := jobs.Migrate(ctx, p.Pool); err != nil {
		t.Fatal(err)
	}
	p.Chain = chaintest.Start(t, chaintest.Options{}).Connect(t)
	p.Consortium = chaintest.MustFound(t, p.Chain)
	var err error
	// The fewest KDF iterations the key service allows: tests unlock keys
	// often, and the cost parameter is not what they test.
	if p.Keys, err = keys.New(p.Pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}}); err != nil {
		t.Fatal(err)
	}
	if p.Store, err = objectstore.NewFS(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if p.Outbox, err = outbox.New(p.Pool, p.Chain, outbox.Config{Key: []byte("0123456789abcdef"), RetryBase: 50 * time.Millisecond, LaneWait: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	p.Outbox.Register(workers)
	queues := map[string]int{outbox.Queue: 4}
	if o.OutboxWorkers > 0 {
		queues[outbox.Queue] = o.OutboxWorkers
	}
	if o.Register != nil {
		o.Register(workers)
	}
	maps.Copy(queues, o.Queues)
	rc, err := jobs.NewClient(p.Pool, workers, jobs.Config{Queues: queues, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		rc.Stop(stop)
	})
	id, err := p.Chain.Identity(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopProjection := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		projection.New(p.Pool, id, projection.WithRetryDelay(50*time.Millisecond)).Run(pctx)
	}()
	t.Cleanup(func() { stopProjection(); <-done })
	if p.PII, err = pii.New(1, bytes.Repeat([]byte{7}, pii.MasterKeySize), nil); err != nil {
		t.Fatal(err)
	}
	if p.Locker, err = locker.New(locker.Config{Pool: p.Pool, Store: p.Store, Keys: p.Keys, Outbox: p.Outbox,
		PII: p.PII, Chain: p.Chain, Gateway: chaintest.Operator}); err != nil {
		t.Fatal(err)
	}
	return p
}

// SM2Signer is a keys.Signer over a fixture's own SM2 key (the consortium's
// member keys are not in the key service).
type SM2Signer struct{ Key *sm2.PrivateKey }

// Public returns the signer's public key.
func (s SM2Signer) Public() *ecdsa.PublicKey { return &s.Key.PublicKey }

// Sign signs msg with SM2 (default user ID, SM3 pre-hash).
func (s SM2Signer) Sign(msg []byte) ([]byte, error) { return gm.Sign(s.Key, msg) }
