package projection

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
)

// badEvent is an event that cannot be applied because of what it carries.
type badEvent struct{ msg string }

func (e *badEvent) Error() string { return e.msg }

func bad(format string, args ...any) error { return &badEvent{fmt.Sprintf(format, args...)} }

// project records ev in ledger_events and applies it. fresh is false for an
// event already projected; problem says why an event was kept but not
// applied; err is a failure of the database or the chain, after which the
// batch is retried.
func (p *Projector) project(ctx context.Context, tx pgx.Tx, ev chain.Event) (fresh bool, problem string, err error) {
	var payload json.RawMessage
	switch {
	case !json.Valid(ev.Payload):
		problem = "payload is not JSON"
	case bytes.Contains(ev.Payload, []byte(`\u0000`)):
		// PostgreSQL's text and jsonb cannot hold U+0000.
		problem = "payload holds a NUL character"
	default:
		payload = ev.Payload
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO ledger_events (tx_id, channel, chaincode, block_number, event_name, payload)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tx_id) DO NOTHING`,
		ev.TxID, p.src.Channel(), ev.Chaincode, int64(ev.Block), ev.Name, payload)
	if err != nil {
		return false, "", err
	}
	if tag.RowsAffected() == 0 {
		return false, "", nil
	}
	if problem == "" {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return false, "", err
		}
		if err := p.record(ctx, sp, ev); err != nil {
			if rerr := sp.Rollback(ctx); rerr != nil {
				return false, "", rerr
			}
			var be *badEvent
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &be):
				problem = be.msg
			case errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23")):
				problem = "payload rejected by the database: " + pe.Message
			default:
				return false, "", err
			}
		} else if err := sp.Commit(ctx); err != nil {
			return false, "", err
		}
	}
	if problem != "" {
		if _, err := tx.Exec(ctx, `UPDATE ledger_events SET problem = $2 WHERE tx_id = $1`, ev.TxID, problem); err != nil {
			return false, "", err
		}
	}
	return true, problem, nil
}

// record writes the record rows of one event.
func (p *Projector) record(ctx context.Context, tx pgx.Tx, ev chain.Event) error {
	w := writer{ctx: ctx, tx: tx, ev: ev}
	switch ev.Name {
	case model.EventMemberApplied, model.EventMemberReviewed, model.EventMemberChanged, model.EventMemberKeyChanged:
		var m model.Member
		if err := decode(ev, &m); err != nil {
			return err
		}
		if err := w.upsert("ledger_members", "id", ev.Payload,
			cols{"id": m.ID, "kind": string(m.Kind), "department": nullable(m.Department), "status": m.Status, "permissions": perms(m.Permissions)}); err != nil {
			return err
		}
		return memberKey(ctx, tx, &m)
	case model.EventNodeAdmitted, model.EventNodeRetired:
		var n model.Node
		if err := decode(ev, &n); err != nil {
			return err
		}
		return w.upsert("ledger_nodes", "id", ev.Payload, cols{"id": n.ID, "member": n.Member, "kind": string(n.Kind), "status": n.Status})
	case model.EventSubjectApplied, model.EventSubjectReviewed, model.EventSubjectChanged, model.EventSubjectKeyChanged:
		var s model.Subject
		if err := decode(ev, &s); err != nil {
			return err
		}
		return w.upsert("ledger_subjects", "id", ev.Payload,
			cols{"id": s.ID, "kind": string(s.Kind), "status": s.Status, "sponsor": s.Sponsor, "permissions": perms(s.Permissions)})

	case model.EventAuditAnchored:
		var a model.AuditAnchor
		if err := decode(ev, &a); err != nil {
			return err
		}
		return w.upsert("ledger_audit_anchors", "id", ev.Payload, cols{"id": a.ID, "member": a.Member, "seq": a.Seq})

	case model.EventAssetTypeDefined, model.EventAssetTypeAbolished:
		var t model.AssetType
		if err := decode(ev, &t); err != nil {
			return err
		}
		return w.upsert("ledger_asset_types", "code", ev.Payload, cols{"code": t.Code, "status": t.Status})
	case model.EventAssetIssued, model.EventAssetReviewed, model.EventAssetTransferred, model.EventAssetRevoked, model.EventAssetAbolished:
		var a model.Asset
		if err := decode(ev, &a); err != nil {
			return err
		}
		created, err := when("createdAt", a.CreatedAt)
		if err != nil {
			return err
		}
		return w.upsert("ledger_assets", "id", ev.Payload, cols{"id": a.ID, "type": a.Type, "owner": a.Owner, "issuer": a.Issuer,
			"status": a.Status, "business_key": a.BusinessKey, "created_at": created})

	case model.EventGrantCreated, model.EventGrantRevoked:
		var g model.Grant
		if err := decode(ev, &g); err != nil {
			return err
		}
		expires, err := when("expiresAt", g.ExpiresAt)
		if err != nil {
			return err
		}
		if err := w.upsert("ledger_grants", "id", ev.Payload, cols{"id": g.ID, "kind": string(g.Kind), "asset": g.Asset, "grantor": g.Grantor,
			"grantee": g.Grantee, "status": g.Status, "expires_at": expires, "request": nullable(g.Request)}); err != nil {
			return err
		}
		if ev.Name == model.EventGrantCreated && g.Request != "" {
			return w.closeRequest(&g)
		}
		return nil
	case model.EventAuthCodeIssued, model.EventAuthCodeRevoked:
		var a model.AuthCode
		if err := decode(ev, &a); err != nil {
			return err
		}
		expires, err := when("expiresAt", a.ExpiresAt)
		if err != nil {
			return err
		}
		return w.upsert("ledger_auth_codes", "id", ev.Payload, cols{"id": a.ID, "asset": a.Asset, "owner": a.Owner, "status": a.Status, "expires_at": expires})
	case model.EventAccessRecorded:
		var r model.AccessRecord
		if err := decode(ev, &r); err != nil {
			return err
		}
		at, err := when("time", r.Time)
		if err != nil {
			return err
		}
		return w.upsert("ledger_access_records", "id", ev.Payload, cols{"id": r.ID, "asset": r.Asset, "accessor": r.Accessor, "action": r.Action,
			"at": at, "grant_id": nullable(r.Grant), "auth_code": nullable(r.AuthCode)})
	case model.EventAccessRequested, model.EventAccessRequestDenied:
		var r model.AccessRequest
		if err := decode(ev, &r); err != nil {
			return err
		}
		due, err := when("dueAt", r.DueAt)
		if err != nil {
			return err
		}
		return w.upsert("ledger_access_requests", "id", ev.Payload, cols{"id": r.ID, "asset": r.Asset, "owner": r.Owner, "requester": r.Requester,
			"status": r.Status, "due_at": due, "grant_id": nullable(r.Grant)})

	case model.EventProcessStarted:
		var v model.ProcessView
		if err := decode(ev, &v); err != nil {
			return err
		}
		return w.view(&v)
	case model.EventStepDecided, model.EventStepOverdue:
		var s model.StepView
		if err := decode(ev, &s); err != nil {
			return err
		}
		return p.refresh(w, s.Process)
	case model.EventInterventionRecorded:
		var iv model.Intervention
		if err := decode(ev, &iv); err != nil {
			return err
		}
		return p.refresh(w, iv.Process)
	case model.EventBundleIssued:
		var b model.Bundle
		if err := decode(ev, &b); err != nil {
			return err
		}
		return p.refresh(w, b.Process)
	}
	return bad("unknown event %q", ev.Name)
}

// decode unmarshals the payload into the record v and checks that it has
// its key.
func decode(ev chain.Event, v any) error {
	if err := json.Unmarshal(ev.Payload, v); err != nil {
		return bad("payload of %s is not a %T: %v", ev.Name, v, err)
	}
	if id := recordID(v); id == "" {
		return bad("payload of %s has no ID", ev.Name)
	}
	return nil
}

// recordID is the key of a decoded record, empty when missing.
func recordID(v any) string {
	switch r := v.(type) {
	case *model.Member:
		return r.ID
	case *model.Node:
		return r.ID
	case *model.Subject:
		return r.ID
	case *model.AuditAnchor:
		return r.ID
	case *model.AssetType:
		return r.Code
	case *model.Asset:
		return r.ID
	case *model.Grant:
		return r.ID
	case *model.AuthCode:
		return r.ID
	case *model.AccessRecord:
		return r.ID
	case *model.AccessRequest:
		return r.ID
	case *model.ProcessView:
		return r.Process.ID
	case *model.StepView:
		if r.Key == "" {
			return ""
		}
		return r.Process
	case *model.Intervention:
		if r.Process == "" {
			return ""
		}
		return r.ID
	case *model.Bundle:
		return r.Process
	}
	return ""
}

// refresh reads a process's view from the chain and writes it.
func (p *Projector) refresh(w writer, process string) error {
	v, err := chain.EvaluateJSON[model.ProcessView](w.ctx, p.src.Contract(model.ChaincodeApproval), "GetProcess", chain.WithArguments(process))
	if errors.Is(err, model.ErrNotFound) {
		return bad("process %s of %s is not on the chain", process, w.ev.Name)
	}
	if err != nil {
		return err
	}
	return w.view(&v)
}

// when parses a record's time.
func when(field, s string) (time.Time, error) {
	t, err := model.ParseTime(s)
	if err != nil {
		return time.Time{}, bad("%s %q is not a time", field, s)
	}
	return t, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func perms(ps []model.Permission) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, string(p))
	}
	return out
}

// memberKey adds m's public key to the member's key history when it is new:
// in force from the member's creation for its first key, from the change
// (the record's update) for a later one. A replayed event finds its key and
// adds nothing.
func memberKey(ctx context.Context, tx pgx.Tx, m *model.Member) error {
	if m.PublicKey == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO ledger_member_keys (member, public_key, valid_from, tx_id)
		SELECT $1, $2,
			CASE WHEN EXISTS (SELECT 1 FROM ledger_member_keys WHERE member = $1) THEN $5::timestamptz ELSE $3::timestamptz END,
			CASE WHEN EXISTS (SELECT 1 FROM ledger_member_keys WHERE member = $1) THEN $6 ELSE $4 END
		WHERE NOT EXISTS (SELECT 1 FROM ledger_member_keys WHERE member = $1 AND public_key = $2)
		ON CONFLICT DO NOTHING`, m.ID, m.PublicKey, m.CreatedAt, m.CreatedTx, m.UpdatedAt, m.UpdatedTx)
	if err != nil {
		return fmt.Errorf("member %s key history: %w", m.ID, err)
	}
	return nil
}
