package locker_test

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
)

// A department puts its result into the applicant's locker in the same
// transaction as its own records: the content is sealed and stored, the data
// key wrapped for the owner, the issue signed with the department's key and
// asset.IssueAsset queued, all committing together.
func ExampleService_Issue() {
	var (
		ctx       = context.Background()
		pool      *pgxpool.Pool   // the platform database
		svc       *locker.Service // locker.New(locker.Config{...})
		keySvc    *keys.Service   // the key service
		applicant = "0123456789abcdef0123456789abcdef"
	)
	if pool == nil {
		return // the example shows the calls; the package tests run them on devnet
	}
	signer, err := keySvc.Unlock(ctx, keys.Owner{Kind: keys.KindDepartment, ID: "MarketMSP"}, "department key password")
	if err != nil {
		panic(err)
	}
	defer signer.Destroy()
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		issued, err := svc.Issue(ctx, tx, locker.IssueInput{
			Type: "business-licence", Owner: applicant, Issuer: "MarketMSP", Channel: model.ChannelDepartment,
			BusinessKey: "application-42", Content: []byte("%PDF-1.7 ..."), Signer: signer, Identity: "MarketMSP",
			Lane: "process/application-42",
		})
		if err != nil {
			return err
		}
		_ = issued.AssetID // the step decision's output
		return nil
	})
	if err != nil {
		panic(err)
	}
}
