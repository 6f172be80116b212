package locker_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
)

// BenchmarkIssue_Postgres measures Issue as a department calls it for one
// result document: seal 64 KiB into the filesystem store, wrap the data key
// for the owner (SM2), sign the issue (SM2) and enqueue it, in one committed
// PostgreSQL transaction. The chain write itself is the outbox's.
func BenchmarkIssue_Postgres(b *testing.B) {
	pool := pgtest.New(b)
	if _, err := jobs.Migrate(ctx, pool); err != nil {
		b.Fatal(err)
	}
	ks, err := keys.New(pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}})
	if err != nil {
		b.Fatal(err)
	}
	store, err := objectstore.NewFS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ob, err := outbox.New(pool, nil, outbox.Config{Key: []byte("0123456789abcdef")})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := locker.New(locker.Config{Pool: pool, Store: store, Keys: ks, Outbox: ob})
	if err != nil {
		b.Fatal(err)
	}
	owner := "0123456789abcdef0123456789abcdef"
	if _, err := ks.Generate(ctx, keys.Owner{Kind: keys.KindSubject, ID: owner}, "owner password"); err != nil {
		b.Fatal(err)
	}
	issuer, err := gm.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	content := make([]byte, 64<<10)
	b.SetBytes(int64(len(content)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		content[0], content[1], content[2] = byte(i), byte(i>>8), byte(i>>16)
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := svc.Issue(ctx, tx, locker.IssueInput{Type: "business-licence", Owner: owner, Issuer: "MarketMSP",
				Channel: model.ChannelDepartment, BusinessKey: fmt.Sprintf("app-%d", i), Content: content,
				Signer: platformtest.SM2Signer{Key: issuer}, Identity: "MarketMSP"})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
