package model

import "fmt"

// AuditAnchor is the head of one member's audit log (8.2 d) as of row Seq,
// put on chain periodically. The log chains its rows with SM3, which finds
// any row altered or inserted; only an anchor held outside the database
// finds rows deleted from the end, since what is left still chains.
type AuditAnchor struct {
	ID     string `json:"id"`
	Member string `json:"member"`
	Seq    int64  `json:"seq"`
	Head   string `json:"head"`
	At     string `json:"at"`
	TxID   string `json:"txId"`
}

// AuditAnchorID derives an anchor's ID from its member and sequence number.
func AuditAnchorID(member string, seq int64) string {
	return DeriveID("auditanchor", member, fmt.Sprint(seq))
}

// AuditAnchorRequest anchors the caller's member's audit head: Head is the
// hex SM3 hash of row Seq.
type AuditAnchorRequest struct {
	Seq  int64  `json:"seq"`
	Head string `json:"head"`
}

// Validate checks the request's fields.
func (r *AuditAnchorRequest) Validate() error {
	var c checks
	if r.Seq <= 0 {
		c.fail("seq must be positive")
	}
	c.digest("head", r.Head)
	return c.err
}
