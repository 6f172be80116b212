// Package outbox makes chain writes durable: a request that needs a chain
// transaction writes its business rows and an outbox row in one PostgreSQL
// transaction (Enqueue), answers, and a River job submits the transaction
// afterwards, retrying until it commits or is refused for good. A process
// killed at any point loses nothing, and no write reaches the chain twice.
//
// # Why a write commits once
//
// Two mechanisms, one for each way a write can be repeated:
//
//   - A repeated endorsement (a new transaction for the same write) only
//     happens when no earlier transaction of the write can still commit: the
//     endorsed transaction is stored in the row (envelope) before it is sent,
//     and it is dropped only once its commit status says it is invalid (it
//     wrote nothing). The Kaiban chaincodes also derive record IDs from
//     business keys and answer an identical retry with the existing record,
//     but the outbox does not rely on it: a function that is not idempotent
//     (authorization.RecordAccess, whose record ID is the transaction's) is
//     still applied once.
//   - A repeated send of the stored transaction (after a crash, a timeout, an
//     unreachable orderer) reuses its transaction ID. Fabric commits a
//     transaction ID once; a second copy is marked DUPLICATE_TXID and writes
//     nothing, and the commit status of the ID is that of the first copy.
//
// # States
//
//		pending ──endorse──▶ submitting ──commit VALID──▶ done
//		   ▲                     │  │
//		   │  MVCC/phantom       │  └─ outcome unknown (submit failed, commit
//		   └── conflict ─────────┘     status timed out, process died):
//		                               stays submitting; the next attempt sends
//		                               the same transaction again
//
//		pending, submitting ──▶ failed   permanent error, or attempts exhausted
//
//	  - pending: no transaction in flight. The next attempt endorses a new one.
//	  - submitting: envelope and tx_id hold the endorsed transaction, stored
//	    before it was sent. The next attempt sends exactly it again and reads
//	    its commit status.
//	  - done: committed VALID; tx_id, block_number and result (the chaincode's
//	    response) are kept, the envelope and transient data erased.
//	  - failed: refused for good; last_error and error_code (the chaincode's
//	    model code) say why. Retry puts a failed write back to work; List
//	    finds them. An operator runs both as kaiban outbox list and retry.
//
// Errors, by what happens next:
//
//   - Permanent (failed at once): the chaincode refused with INVALID, DENIED,
//     CONFLICT or SIGNATURE, or with an unclassified error; the transaction
//     committed invalid for a reason other than a read conflict (endorsement
//     policy, bad signature); the identity is unknown; an earlier write of
//     the lane failed.
//   - Retried with backoff (Config.RetryBase doubling to RetryMax): transport
//     errors and timeouts at any step, MVCC and phantom read conflicts (a new
//     transaction is endorsed), and NOT_FOUND and STATE refusals, because the
//     record or state the write needs may come from another write still in
//     the outbox. After Config.MaxAttempts the write is failed.
//
// # Transient data
//
// Transient data carries secrets (authorization codes) and never goes on the
// ledger. The outbox must keep it until the write commits, so it seals it with
// SM4-GCM under Config.Key (additional data: the row's key, so a sealed value
// cannot be moved to another row) and erases it when the write is done or
// failed. Without a key, a write with transient data is refused at Enqueue:
// the clear text is never stored.
//
// # Jobs
//
// Enqueue inserts a River job (kind "kaiban.chain.submit", queue Queue) in the
// caller's transaction; the process that works the queue registers the worker
// with Register. A job whose process died while running it is rescued by River
// after jobs.Config.RescueAfter; the row tells the next attempt where the
// write stands. A job that River discarded while its write was unfinished
// (its last attempt could not even record the failure) is replaced by
// Reschedule, which a working process runs at start. Writes sharing a Lane reach the chain in enqueue order: a job
// whose lane has an earlier unfinished write waits (snoozes) for it.
package outbox
