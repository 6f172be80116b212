package outbox_test

import (
	"context"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// A request handler accepts an application: the business row and the chain
// write it needs commit together, and the handler may answer 2xx as soon as
// they have — the write reaches the chain even if this process dies now.
func ExampleOutbox_Enqueue() {
	var pool *pgxpool.Pool // postgres.Open(...)
	var ob *outbox.Outbox  // outbox.New(pool, chainClient, outbox.Config{Key: key})
	ctx := context.Background()

	tx, err := pool.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "UPDATE applications SET status = 'accepted' WHERE id = $1", "a-1"); err != nil {
		log.Fatal(err)
	}
	if _, err := ob.Enqueue(ctx, tx, outbox.Write{
		Key:       "application/a-1/start-process",
		Identity:  "OperatorMSP/clerk",
		Chaincode: model.ChaincodeApproval,
		Function:  "StartProcess",
		Args:      []string{`{"application":"a-1", "...": "..."}`},
		Lane:      "process/a-1",
	}); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		log.Fatal(err)
	}
}
