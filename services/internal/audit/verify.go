package audit

import (
	"context"
	"crypto/hmac"
	"fmt"
	"time"
)

// Problem kinds a verification reports.
const (
	// ProblemGap: sequence numbers are missing — rows were deleted.
	ProblemGap = "gap"
	// ProblemAltered: a row's content no longer hashes to its stored hash.
	ProblemAltered = "altered"
	// ProblemBrokenLink: a row's previous hash is not the hash of the row
	// before it — a row was inserted, or the one before it replaced.
	ProblemBrokenLink = "broken-link"
	// ProblemForged: the row's MAC does not match its hash — the chain was
	// recomputed by someone without the audit key (an inserted or rewritten row).
	ProblemForged = "forged"
	// ProblemAnchorMissing: an anchored row no longer exists — rows were
	// deleted from the end of the log.
	ProblemAnchorMissing = "anchor-missing"
	// ProblemAnchorMismatch: the row at an anchored position has another hash
	// than the one anchored on chain.
	ProblemAnchorMismatch = "anchor-mismatch"
	// ProblemChainAnchor: the ledger's latest anchor is not among the stored
	// anchors or disagrees with them — the anchor table was tampered with.
	ProblemChainAnchor = "chain-anchor"
)

// Problem is one inconsistency found by Verify.
type Problem struct {
	Seq    uint64 `json:"seq"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Report is the outcome of Verify.
type Report struct {
	OK       bool   `json:"ok"`
	Rows     uint64 `json:"rows"`
	HeadSeq  uint64 `json:"headSeq"`
	HeadHash string `json:"headHash"`
	Anchors  int    `json:"anchors"`
	// LatestAnchor is the most recent anchor, nil when the log was never
	// anchored (then rows deleted from the end cannot be detected).
	LatestAnchor *Anchor `json:"latestAnchor,omitempty"`
	// ChainChecked says whether the latest anchor was compared with the ledger.
	ChainChecked bool      `json:"chainChecked"`
	Problems     []Problem `json:"problems"`
	// Truncated is set when more problems were found than are listed.
	Truncated  bool      `json:"truncated"`
	VerifiedAt time.Time `json:"verifiedAt"`
}

// maxProblems bounds a report: one tampered row early in a large log would
// otherwise list every row after it.
const maxProblems = 1000

// AnchorSource reads anchors back from the ledger. Verify consults it, when
// given, so that deleting anchor rows from the database is detected as well.
type AnchorSource interface {
	// LatestAnchor returns the most recent anchor recorded on chain, with
	// ok false when there is none.
	LatestAnchor(ctx context.Context) (a Anchor, ok bool, err error)
}

// Verify walks the whole log in sequence order and checks, for every row,
// that its sequence number follows the previous one, that its previous hash
// is the previous row's hash, that its content hashes to its hash, and that
// its MAC matches; then that every anchored head is the hash of the row at
// its position, and (with src) that the ledger's latest anchor is the
// latest stored one. The returned error is for failing to verify (the
// database is unreachable), not for finding problems: those are in the Report.
func (l *Log) Verify(ctx context.Context, src AnchorSource) (Report, error) {
	rep := Report{VerifiedAt: l.now().UTC(), Problems: []Problem{}}
	add := func(p Problem) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, p)
		} else {
			rep.Truncated = true
		}
	}
	anchors, err := l.Anchors(ctx, 0)
	if err != nil {
		return rep, err
	}
	rep.Anchors = len(anchors)
	anchored := make(map[uint64]Anchor, len(anchors))
	for i := range anchors {
		anchored[anchors[i].Seq] = anchors[i]
	}
	if len(anchors) > 0 {
		latest := anchors[len(anchors)-1]
		rep.LatestAnchor = &latest
	}
	if src != nil {
		// The ledger's latest anchor is checked against the rows like a stored
		// one, so a log whose tail and anchor rows were both deleted fails.
		onChain, ok, err := src.LatestAnchor(ctx)
		if err != nil {
			return rep, fmt.Errorf("audit verify: read anchor from the ledger: %w", err)
		}
		rep.ChainChecked = true
		switch stored, known := anchored[onChain.Seq]; {
		case !ok && len(anchors) > 0:
			add(Problem{Seq: rep.LatestAnchor.Seq, Kind: ProblemChainAnchor, Detail: "the ledger holds no anchor but the database lists some"})
		case ok && known && stored.Head != onChain.Head:
			add(Problem{Seq: onChain.Seq, Kind: ProblemChainAnchor,
				Detail: fmt.Sprintf("the stored anchor differs from the one in tx %s", onChain.TxID)})
		case ok && !known:
			if rep.LatestAnchor != nil && rep.LatestAnchor.Seq > onChain.Seq {
				add(Problem{Seq: rep.LatestAnchor.Seq, Kind: ProblemChainAnchor,
					Detail: fmt.Sprintf("the database lists an anchor newer than the ledger's latest (seq %d, tx %s)", onChain.Seq, onChain.TxID)})
			}
			anchors = append(anchors, onChain)
			anchored[onChain.Seq] = onChain
		}
	}

	rows, err := l.pool.Query(ctx, `SELECT seq, at, actor_kind, actor_id, actor_name, action, resource,
		result, status, source, request_id, detail, prev_hash, hash, mac FROM audit_log ORDER BY seq`)
	if err != nil {
		return rep, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
	expect, prev := uint64(1), genesis
	var r Record
	var mac string
	var seq int64
	for rows.Next() {
		if err := rows.Scan(&seq, &r.Time, &r.ActorKind, &r.ActorID, &r.ActorName, &r.Action, &r.Resource,
			&r.Result, &r.Status, &r.Source, &r.RequestID, &r.Detail, &r.PrevHash, &r.Hash, &mac); err != nil {
			return rep, fmt.Errorf("audit verify: %w", err)
		}
		r.Seq = uint64(seq)
		rep.Rows++
		if r.Seq != expect {
			add(Problem{Seq: expect, Kind: ProblemGap, Detail: fmt.Sprintf("rows %d to %d are missing", expect, r.Seq-1)})
		}
		if r.PrevHash != prev {
			add(Problem{Seq: r.Seq, Kind: ProblemBrokenLink, Detail: "previous hash is not the hash of the row before"})
		}
		if h, err := chainHash(r.PrevHash, r.Seq, &r.Entry); err != nil || h != r.Hash {
			add(Problem{Seq: r.Seq, Kind: ProblemAltered, Detail: "content does not match the row's hash"})
		}
		if !hmac.Equal([]byte(mac), []byte(rowMAC(l.mac, r.Hash))) {
			add(Problem{Seq: r.Seq, Kind: ProblemForged, Detail: "MAC does not match: hash written without the audit key"})
		}
		if a, ok := anchored[r.Seq]; ok {
			if a.Head != r.Hash {
				add(Problem{Seq: r.Seq, Kind: ProblemAnchorMismatch, Detail: "hash differs from the head anchored in tx " + a.TxID})
			}
			delete(anchored, r.Seq)
		}
		rep.HeadSeq, rep.HeadHash = r.Seq, r.Hash
		expect, prev = r.Seq+1, r.Hash
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("audit verify: %w", err)
	}
	for _, a := range anchors {
		if _, left := anchored[a.Seq]; left {
			add(Problem{Seq: a.Seq, Kind: ProblemAnchorMissing,
				Detail: fmt.Sprintf("row %d was anchored in tx %s but no longer exists (log ends at %d)", a.Seq, a.TxID, rep.HeadSeq)})
		}
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}
