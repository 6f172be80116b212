package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/anchoring"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// Identity and audit: the services the API authenticates, authorizes and
// records with, and the two commands that work on them from the host —
// `kaiban admin create` (the bootstrap of the three administrators) and
// `kaiban audit verify`. docs/security.md describes both.

// openSecurity opens the audit log and the identity service of the API.
// Their keys derive from the master key, so none is stored in the database.
func (p *platform) openSecurity(ctx context.Context) (httpapi.SecurityOptions, error) {
	lg, id, err := p.openIdentity()
	if err != nil {
		return httpapi.SecurityOptions{}, err
	}
	anchors, err := p.startAnchoring(lg)
	if err != nil {
		return httpapi.SecurityOptions{}, err
	}
	if p.demo != nil {
		if err := p.seedDemoAccounts(ctx, id); err != nil {
			return httpapi.SecurityOptions{}, err
		}
	}
	missing, err := id.MissingAdmins(ctx)
	if err != nil {
		return httpapi.SecurityOptions{}, err
	}
	if len(missing) > 0 {
		p.started("administrators", "missing "+strings.Join(missing, ", ")+": kaiban admin create ROLE LOGIN NAME")
	}
	// The cookie is Secure always: browsers accept Secure cookies from
	// http://localhost, and anywhere else the portal must be on HTTPS.
	e := p.cfg.HTTP.Endpoints
	sec := httpapi.SecurityOptions{Identity: id, Audit: lg, CookieSecure: true,
		Endpoints: httpapi.Endpoints{Production: e.Production, Test: e.Test}}
	// With a chain, POST /api/v1/audit/verification compares the ledger's
	// latest anchor too, as kaiban audit verify does: what finds rows (and
	// local anchors) deleted from the end.
	if anchors != nil {
		sec.Anchors = anchors
	}
	return sec, nil
}

// startAnchoring anchors the audit log's head on chain every
// audit.anchorEvery while the platform runs; without a chain the log is still
// SM3-chained, and only a deleted tail would go unseen. It returns the
// ledger's anchors (nil without a chain).
func (p *platform) startAnchoring(lg *audit.Log) (*anchoring.Ledger, error) {
	if p.chain == nil {
		p.started("audit", "every API call recorded, SM3-chained (kaiban audit verify); not anchored: no chain")
		return nil, nil
	}
	anchors, err := p.auditAnchors()
	if err != nil {
		return nil, err
	}
	every := p.cfg.Audit.AnchorEvery
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		lg.RunAnchoring(ctx, anchors, every)
	}()
	// Registered after the log's own closer, so it runs before it.
	p.onClose(func() { cancel(); <-done })
	p.started("audit", fmt.Sprintf("every API call recorded, SM3-chained, head anchored on chain every %s (kaiban audit verify)", every))
	return anchors, nil
}

// auditAnchors is the ledger's record of this platform's audit anchors, kept
// by the subject chaincode under the platform's own organisation.
func (p *platform) auditAnchors() (*anchoring.Ledger, error) {
	subject, err := p.chain.Contract(p.chain.Identities()[0], model.ChaincodeSubject)
	if err != nil {
		return nil, err
	}
	return anchoring.New(subject)
}

func (p *platform) openAudit() (*audit.Log, error) {
	lg, err := audit.New(p.pool, p.key("audit", 32), audit.WithLogger(p.log))
	if err != nil {
		return nil, err
	}
	p.onClose(lg.Close) // before the pool closes: closers run last first
	return lg, nil
}

func (p *platform) openIdentity() (*audit.Log, *identity.Service, error) {
	lg, err := p.openAudit()
	if err != nil {
		return nil, nil, err
	}
	names, err := pii.New(1, p.key("pii", pii.MasterKeySize), nil)
	if err != nil {
		return nil, nil, err
	}
	// Sessions are checked from memory, and every process hears at once of
	// a revocation made by any (docs/security.md §3).
	id, err := identity.New(p.pool, names, identity.Config{SecretKey: p.key("identity", 32)}, identity.WithRecorder(lg),
		identity.WithCache(), identity.WithLogger(p.log))
	if err != nil {
		return nil, nil, err
	}
	p.onClose(id.Close) // before the pool closes
	return lg, id, nil
}

// openHostDatabase opens database.url, or the local cluster of kaiban dev
// when none is configured (and then creates the master key file if it is
// missing, as kaiban dev would), migrated.
func (p *platform) openHostDatabase(ctx context.Context, what string) error {
	dbURL := p.cfg.Database.URL
	local := dbURL == ""
	if err := p.loadMasterKey(what, local); err != nil {
		return err
	}
	if local {
		var err error
		if dbURL, err = p.localDatabase(ctx); err != nil {
			return err
		}
	}
	if err := p.openDatabase(ctx, dbURL); err != nil {
		return err
	}
	return p.migrate(ctx)
}

// runAdmin runs `kaiban admin create [flags] ROLE LOGIN NAME` (configuration
// flags first): it creates an
// administrator account holding ROLE (sysadmin, secadmin or auditadmin) and
// prints its one-time initial password, which must be changed at first
// sign-in. It refuses when an enabled holder of ROLE exists, unless
// KAIBAN_ADMIN_FORCE=1.
func runAdmin(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("the only subcommand is create")
	}
	cfg, rest, log, err := loadConfig("admin", args[1:], e)
	if err != nil {
		return err
	}
	if len(rest) != 3 {
		return usagef("want ROLE LOGIN NAME, after any configuration flags")
	}
	role, login, name := rest[0], rest[1], rest[2]
	if !slices.Contains(identity.AdminRoles, role) {
		return usagef("ROLE must be one of %s", strings.Join(identity.AdminRoles, ", "))
	}
	p := newPlatform(cfg, log)
	defer p.Close()
	if err := p.openHostDatabase(ctx, "kaiban admin create"); err != nil {
		return err
	}
	_, id, err := p.openIdentity()
	if err != nil {
		return err
	}
	u, password, err := id.CreateAdmin(ctx, login, name, role, e.getenv("KAIBAN_ADMIN_FORCE") == "1")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s %s (%s) in department %s\ninitial password (shown once; change it at first sign-in): %s\n",
		role, u.Login, u.ID, u.Department, password)
	return nil
}

// runAudit runs `kaiban audit verify [flags]`: the whole audit log is
// checked (sequence, chain, MACs, anchors) and every problem printed; the
// exit status is 1 when there is any. The run is itself recorded.
func runAudit(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usagef("the only subcommand is verify")
	}
	cfg, rest, log, err := loadConfig("audit", args[1:], e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	p := newPlatform(cfg, log)
	defer p.Close()
	if err := p.openHostDatabase(ctx, "kaiban audit verify"); err != nil {
		return err
	}
	lg, err := p.openAudit()
	if err != nil {
		return err
	}
	// With a chain configured the ledger's latest anchor is checked too,
	// which is what finds rows (and local anchors) deleted from the end.
	var src audit.AnchorSource
	if cfg.Chain.Endpoint != "" {
		if err := p.connectChain(chainConfig(cfg.Chain), cfg.Chain.Endpoint); err != nil {
			return err
		}
		if src, err = p.auditAnchors(); err != nil {
			return err
		}
	}
	rep, err := lg.Verify(ctx, src)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "audit log: %d records, head %d %s\n", rep.Rows, rep.HeadSeq, rep.HeadHash)
	if rep.LatestAnchor != nil {
		fmt.Fprintf(e.stdout, "anchors: %d, latest seq %d in tx %s at %s\n", rep.Anchors, rep.LatestAnchor.Seq, rep.LatestAnchor.TxID,
			rep.LatestAnchor.AnchoredAt.Format("2006-01-02 15:04:05Z07:00"))
	} else {
		fmt.Fprintln(e.stdout, "anchors: none (records deleted from the end of the log cannot be detected)")
	}
	for _, pr := range rep.Problems {
		fmt.Fprintf(e.stdout, "PROBLEM seq %d %s: %s\n", pr.Seq, pr.Kind, pr.Detail)
	}
	result := audit.ResultOK
	if !rep.OK {
		result = audit.ResultFailed
	}
	if _, err := lg.Append(ctx, audit.Entry{ActorKind: audit.ActorSystem, ActorID: "cli", ActorName: "kaiban audit verify",
		Action: "audit.verify", Resource: "audit_log", Result: result,
		Detail: fmt.Sprintf(`{"rows":%d,"problems":%d}`, rep.Rows, len(rep.Problems))}); err != nil {
		return err
	}
	if !rep.OK {
		if rep.Truncated {
			fmt.Fprintln(e.stdout, "(more problems than listed)")
		}
		return fmt.Errorf("audit log verification failed: %d problems", len(rep.Problems))
	}
	fmt.Fprintln(e.stdout, "OK: no record altered, inserted or deleted")
	return nil
}
