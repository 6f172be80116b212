package monitoring

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Series is a named series of a chart.
type Series struct {
	Name   string  `json:"name"`
	Total  int64   `json:"total"`
	Points []Point `json:"points"`
}

// series runs q, which selects (name, bucket start, count) for the range
// $1..$2 in buckets of $3 seconds, and fills the empty buckets with zeros.
func (s *Service) series(ctx context.Context, r Range, q string, args ...any) ([]Series, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, q, append([]any{r.From, r.To, r.Bucket.Seconds()}, args...)...)
	if err != nil {
		return nil, err
	}
	type key struct {
		name string
		at   int64
	}
	counts := map[key]int64{}
	var names []string
	seen := map[string]bool{}
	for rows.Next() {
		var name string
		var at time.Time
		var n int64
		if err := rows.Scan(&name, &at, &n); err != nil {
			rows.Close()
			return nil, err
		}
		counts[key{name, at.Unix()}] += n
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Series, 0, len(names))
	for _, name := range names {
		sr := Series{Name: name, Points: []Point{}}
		for at := r.From; at.Before(r.To); at = at.Add(r.Bucket) {
			n := counts[key{name, at.Unix()}]
			sr.Points = append(sr.Points, Point{At: at.UTC(), Count: n})
			sr.Total += n
		}
		out = append(out, sr)
	}
	return out, nil
}

// bucketSQL is the start of the bucket of time column col.
func bucketSQL(col string) string {
	return `$1::timestamptz + floor(extract(epoch FROM ` + col + ` - $1::timestamptz) / $3) * make_interval(secs => $3)`
}

// Transactions counts the chain transactions projected in r, by chaincode
// (交易监控, 7.4.3 f 2).
func (s *Service) Transactions(ctx context.Context, r Range) ([]Series, error) {
	out, err := s.series(ctx, r, `SELECT chaincode, `+bucketSQL("projected_at")+`, count(*)
		FROM ledger_events WHERE projected_at >= $1 AND projected_at < $2 GROUP BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("transactions: %w", err)
	}
	return out, nil
}

// Count is a count by kind at a moment.
type Count struct {
	Kind  string `json:"kind"`
	Count int64  `json:"count"`
}

// Accounts is account monitoring (账户监控, 7.4.3 f 3): alliance members by
// kind, trusted subjects (lockers) by kind, asset types (the contract
// accounts that define digital assets), each with its creations over time.
type Accounts struct {
	Members    []Count  `json:"members"`
	Subjects   []Count  `json:"subjects"`
	AssetTypes []Count  `json:"assetTypes"`
	Created    []Series `json:"created"` // per account class and kind: "member/department", "subject/enterprise", "assetType"
}

func counts(ctx context.Context, q pgx.Tx, sql string) ([]Count, error) {
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Count, error) {
		var c Count
		return c, r.Scan(&c.Kind, &c.Count)
	})
}

// createdSQL is an account's creation time: its record's createdAt.
const createdSQL = `(record->>'createdAt')::timestamptz`

// Accounts returns account counts now and creations in r.
func (s *Service) Accounts(ctx context.Context, r Range) (*Accounts, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	a := &Accounts{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if a.Members, err = counts(ctx, tx, `SELECT kind, count(*) FROM ledger_members GROUP BY 1 ORDER BY 1`); err != nil {
			return err
		}
		if a.Subjects, err = counts(ctx, tx, `SELECT kind, count(*) FROM ledger_subjects GROUP BY 1 ORDER BY 1`); err != nil {
			return err
		}
		a.AssetTypes, err = counts(ctx, tx, `SELECT status, count(*) FROM ledger_asset_types GROUP BY 1 ORDER BY 1`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	a.Created, err = s.series(ctx, r, `
		SELECT name, `+bucketSQL("created")+`, count(*) FROM (
			SELECT 'member/' || kind AS name, `+createdSQL+` AS created FROM ledger_members
			UNION ALL SELECT 'subject/' || kind, `+createdSQL+` FROM ledger_subjects
			UNION ALL SELECT 'assetType', `+createdSQL+` FROM ledger_asset_types) c
		WHERE created >= $1 AND created < $2 GROUP BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return a, nil
}

// Assets is digital-asset monitoring (数字资产监控, 7.4.3 f 4): totals by
// type and status, increments by type over time, and the assets'
// transactions over time: content accesses by action, grants by kind, and the
// asset and authorization chaincodes' transactions by event (issued,
// revoked, transferred, ...).
type Assets struct {
	Totals     []AssetTotal `json:"totals"`
	Increments []Series     `json:"increments"` // issued per type
	Activity   []Series     `json:"activity"`   // accesses by action, grants by kind, asset and authorization transactions by event
}

// AssetTotal counts the assets of one type by status.
type AssetTotal struct {
	Type      string `json:"type"`
	Total     int64  `json:"total"`
	Available int64  `json:"available"`
	Revoked   int64  `json:"revoked"`
	Abolished int64  `json:"abolished"`
}

// Assets returns asset totals now and increments and activity in r.
func (s *Service) Assets(ctx context.Context, r Range) (*Assets, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT type, count(*), count(*) FILTER (WHERE status = 'available'),
		count(*) FILTER (WHERE status = 'revoked'), count(*) FILTER (WHERE status = 'abolished')
		FROM ledger_assets GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("asset totals: %w", err)
	}
	a := &Assets{}
	if a.Totals, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AssetTotal, error) {
		var t AssetTotal
		return t, r.Scan(&t.Type, &t.Total, &t.Available, &t.Revoked, &t.Abolished)
	}); err != nil {
		return nil, fmt.Errorf("asset totals: %w", err)
	}
	if a.Increments, err = s.series(ctx, r, `SELECT type, `+bucketSQL("created_at")+`, count(*)
		FROM ledger_assets WHERE created_at >= $1 AND created_at < $2 GROUP BY 1, 2`); err != nil {
		return nil, fmt.Errorf("asset increments: %w", err)
	}
	if a.Activity, err = s.series(ctx, r, `
		SELECT name, `+bucketSQL("t")+`, count(*) FROM (
			SELECT 'access/' || action AS name, at AS t FROM ledger_access_records
			UNION ALL SELECT 'grant/' || kind, `+createdSQL+` FROM ledger_grants
			UNION ALL SELECT 'tx/' || event_name, projected_at FROM ledger_events
				WHERE chaincode IN ('asset', 'authorization') AND problem IS NULL) x
		WHERE t >= $1 AND t < $2 GROUP BY 1, 2`); err != nil {
		return nil, fmt.Errorf("asset activity: %w", err)
	}
	return a, nil
}
