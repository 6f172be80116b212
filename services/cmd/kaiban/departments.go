package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/departments"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/sdk"
)

// Unified issuance and the simulated department systems of kaiban dev.
//
// The simulators are configured from the environment until the config
// struct has a section for them:
//
//	KAIBAN_DEPARTMENTS        auto, manual, or off (default: auto in a process that
//	                          runs the embedded devnet, i.e. kaiban dev; off otherwise)
//	KAIBAN_DEPARTMENTS_DELAY  how long an automatic decision waits (default 2s)
//	KAIBAN_DEPARTMENTS_POLL   how often each system pulls its tasks (default 1s)
//	KAIBAN_DEPARTMENTS_MANUAL departments (comma-separated codes) that wait for a
//	                          person whatever the mode: their officers decide
//	KAIBAN_DEPARTMENTS_REJECT departments whose automatic simulator rejects every
//	                          task (a demo or test of a rejected establishment)
//	KAIBAN_ISSUANCE_FONT      a CJK TrueType font (default: scripts/install-fonts.sh's)

// openIssuance makes unified issuance over the locker, the outbox and the
// key service; clerk is the chain identity that submits bundles.
func (p *platform) openIssuance(keySvc *keys.Service, lk *locker.Service, clerk string) (*issuance.Service, error) {
	r, err := issuance.NewRenderer(os.Getenv("KAIBAN_ISSUANCE_FONT"))
	if err != nil {
		return nil, err
	}
	p.started("issuance", "documents rendered with "+r.FontPath()+"; public verification at /api/v1/issuance/verification/{pdf,payload}")
	return issuance.New(issuance.Config{Pool: p.pool, Renderer: r, Locker: lk, Outbox: p.outbox, Keys: keySvc, Clerk: clerk})
}

// openDepartments provisions the seven simulated department systems — for
// each an approved API client with the department-system role and a fresh
// HMAC-SM3 key, and the department's SM2 key in custody under a password
// derived from the master key — and runs them against the API at base
// (http://host:port) through the SDK. The department's chain member must
// carry that key's public key (the dev consortium bootstrap admits it).
func (p *platform) openDepartments(ctx context.Context, base string, id *identity.Service, keySvc *keys.Service, iss *issuance.Service) (*running, error) {
	mode := departments.Mode(p.env("KAIBAN_DEPARTMENTS"))
	if mode == "" && p.devnetOps != "" {
		mode = departments.Auto
	}
	if mode == "off" || mode == "" {
		p.started("departments", "simulated department systems off (KAIBAN_DEPARTMENTS=auto|manual starts them)")
		return &running{run: func(ctx context.Context) error { <-ctx.Done(); return nil }}, nil
	}
	delay := 2 * time.Second
	if d := p.env("KAIBAN_DEPARTMENTS_DELAY"); d != "" {
		v, err := time.ParseDuration(d)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("KAIBAN_DEPARTMENTS_DELAY %q: want a duration such as 2s", d)
		}
		delay = v
	}
	poll := time.Second
	if d := p.env("KAIBAN_DEPARTMENTS_POLL"); d != "" {
		v, err := time.ParseDuration(d)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("KAIBAN_DEPARTMENTS_POLL %q: want a duration such as 1s", d)
		}
		poll = v
	}
	manual, err := departmentSet("KAIBAN_DEPARTMENTS_MANUAL", p.env("KAIBAN_DEPARTMENTS_MANUAL"))
	if err != nil {
		return nil, err
	}
	reject, err := departmentSet("KAIBAN_DEPARTMENTS_REJECT", p.env("KAIBAN_DEPARTMENTS_REJECT"))
	if err != nil {
		return nil, err
	}
	cfg := departments.Config{Mode: mode, Delay: delay, Poll: poll, Logger: p.log}
	if len(reject) > 0 {
		cfg.Reject = func(t sdk.Task) (string, bool) {
			return "不予办理：模拟部门按 KAIBAN_DEPARTMENTS_REJECT 驳回", reject[t.Department]
		}
	}
	manualCfg := cfg
	manualCfg.Mode = departments.Manual
	var auto, byHand []departments.Department
	for _, code := range departments.Codes {
		d, err := p.provisionDepartment(ctx, base, code, id, keySvc, iss)
		if err != nil {
			return nil, fmt.Errorf("department %s: %w", code, err)
		}
		if manual[code] || cfg.Mode == departments.Manual {
			byHand = append(byHand, d)
		} else {
			auto = append(auto, d)
		}
	}
	if _, err := departments.New(append(auto, byHand...)[0], cfg); err != nil { // the mode is checked before anything runs
		return nil, err
	}
	detail := fmt.Sprintf("7 simulated department systems over the SDK, %s", cfg.Mode)
	if cfg.Mode != departments.Manual {
		detail += fmt.Sprintf(", approving after %v", delay)
	}
	if len(manual) > 0 {
		detail += ", manual: " + strings.Join(slices.Sorted(maps.Keys(manual)), ",")
	}
	if len(reject) > 0 {
		detail += ", rejecting: " + strings.Join(slices.Sorted(maps.Keys(reject)), ",")
	}
	p.started("departments", detail)
	return &running{run: func(ctx context.Context) error {
		var fleets []*departments.Fleet
		for _, group := range []struct {
			depts []departments.Department
			cfg   departments.Config
		}{{auto, cfg}, {byHand, manualCfg}} {
			if len(group.depts) == 0 {
				continue
			}
			f, err := departments.Start(ctx, group.depts, group.cfg)
			if err != nil {
				return err
			}
			fleets = append(fleets, f)
		}
		<-ctx.Done()
		for _, f := range fleets {
			f.Stop()
		}
		return nil
	}}, nil
}

// departmentSet parses a comma-separated list of department codes.
func departmentSet(name, v string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, code := range strings.Split(v, ",") {
		code = strings.TrimSpace(code)
		if code == "" {
			continue
		}
		if !slices.Contains(departments.Codes, code) {
			return nil, fmt.Errorf("%s: %q is not a department (want some of %s)", name, code, strings.Join(departments.Codes, ","))
		}
		set[code] = true
	}
	return set, nil
}

// DepartmentKeyPassword is the unlock password of a simulated department's
// key: derived from the master key, so it survives restarts.
func (p *platform) departmentKeyPassword(code string) string {
	return fmt.Sprintf("%x", p.key("department-key/"+code, 16))
}

// runDepartment runs `kaiban department key-password [flags] CODE`: it
// prints the password of the SM2 key that kaiban dev keeps in custody for
// the simulated department CODE (derived from the master key, so the same on
// every start). A person of that department needs it to act with the
// department's key in the portal — a bank officer reading an asset granted
// to the bank, a market officer signing a decision — as the department's
// key custodian would give it in production. Anyone holding the master key
// can derive it anyway; nothing is read but the master key.
func runDepartment(_ context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "key-password" {
		return usagef("the only subcommand is key-password")
	}
	cfg, rest, log, err := loadConfig("department", args[1:], e)
	if err != nil {
		return err
	}
	// operator is the operating member's key (the founder's, in custody since
	// the dev founding), which is also the regulator member's in kaiban dev:
	// a regulator opens the content of assets in its remit with it.
	if len(rest) != 1 || !slices.Contains(departments.Codes, rest[0]) && rest[0] != "operator" {
		return usagef("want CODE, one of %s or operator, after any configuration flags", strings.Join(departments.Codes, ", "))
	}
	p := newPlatform(cfg, log)
	defer p.Close()
	if err := p.loadMasterKey("kaiban department key-password", false); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, p.departmentKeyPassword(rest[0]))
	return nil
}

func (p *platform) provisionDepartment(ctx context.Context, base, code string, id *identity.Service, keySvc *keys.Service, iss *issuance.Service) (departments.Department, error) {
	member, err := iss.Member(ctx, code)
	if err != nil {
		return departments.Department{}, err
	}
	password := p.departmentKeyPassword(code)
	_, err = keySvc.Generate(ctx, keys.Owner{Kind: keys.KindDepartment, ID: member}, password)
	if err != nil && !errors.Is(err, keys.ErrExists) {
		return departments.Department{}, fmt.Errorf("department key: %w", err)
	}
	c, err := simulatorClient(ctx, id, code)
	if err != nil {
		return departments.Department{}, err
	}
	// A new key each start (the secret is shown once); the previous ones are
	// revoked so that a restarted dev platform leaves one valid key.
	for _, old := range c.Credentials {
		if old.RevokedAt == nil {
			if err := id.RevokeCredential(ctx, nil, c.ID, old.ID); err != nil {
				return departments.Department{}, fmt.Errorf("revoke old API key: %w", err)
			}
		}
	}
	cred, err := id.IssueAPIKey(ctx, nil, c.ID, identity.CredentialHMAC, "", time.Time{})
	if err != nil {
		return departments.Department{}, fmt.Errorf("API key: %w", err)
	}
	sign, err := sdk.HMACKey(cred.Secret)
	if err != nil {
		return departments.Department{}, err
	}
	client, err := sdk.New(base, sdk.WithAPIKey(cred.ID, sign), sdk.WithUserAgent("kaiban-department-simulator/"+code))
	if err != nil {
		return departments.Department{}, err
	}
	return departments.Department{Code: code, Client: client, KeyPassword: password}, nil
}

// simulatorClient returns the simulated department's approved API client,
// registering it on the first start.
func simulatorClient(ctx context.Context, id *identity.Service, code string) (identity.Client, error) {
	name := "模拟部门业务办理系统 " + code
	approved, err := id.ListClients(ctx, identity.ClientApproved)
	if err != nil {
		return identity.Client{}, fmt.Errorf("API clients: %w", err)
	}
	for _, c := range approved {
		if c.Name == name && c.Department == code {
			return id.GetClient(ctx, c.ID)
		}
	}
	c, err := id.ApplyClient(ctx, nil, identity.ClientApplication{Name: name, Department: code,
		Vendor: "Kaiban simulator", Purpose: "kaiban dev: simulated department system (DB37/T 4431-2021 7.7)"})
	if err != nil {
		return identity.Client{}, fmt.Errorf("API client: %w", err)
	}
	if c, err = id.ReviewClient(ctx, nil, c.ID, identity.Review{Approve: true, Roles: []string{"department-system"},
		Note: "kaiban dev"}); err != nil {
		return identity.Client{}, fmt.Errorf("API client review: %w", err)
	}
	return c, nil
}

// defineDocumentTypes defines on chain, as the operator (which holds the
// contract permission), the asset types of the seven documents of unified
// issuance, each issued by its department's member, and those of the
// establishment's materials, which applicants self-upload into their
// lockers and the market regulator reviews (locker.MaterialTypes). Defining a type again
// with the same definition changes nothing, so it runs at every start.
func (p *platform) defineDocumentTypes(ctx context.Context, operator string, members map[string]string) error {
	defs, err := issuance.AssetTypes(members)
	if err != nil {
		return err
	}
	materials, err := locker.MaterialTypeDefinitions(members[model.DeptMarket])
	if err != nil {
		return err
	}
	defs = append(defs, materials...)
	ct, err := p.chain.Contract(operator+"/Admin", model.ChaincodeAsset)
	if err != nil {
		return fmt.Errorf("document asset types: %w", err)
	}
	for _, d := range defs {
		arg, err := model.Canonical(&d)
		if err != nil {
			return err
		}
		if _, err := ct.Submit(ctx, "DefineAssetType", chain.WithArguments(string(arg))); err != nil {
			return fmt.Errorf("define asset type %s: %w", d.Code, err)
		}
	}
	p.started("document types", fmt.Sprintf("%d asset types of unified issuance and %d of materials (self-upload, reviewed by %s) defined on chain",
		len(defs)-len(materials), len(materials), members[model.DeptMarket]))
	return nil
}

// bundleEvery is the interval of the periodic bundle job: the longest a
// decided process waits for its unified issuance.
const bundleEvery = 500 * time.Millisecond

// registerIssuanceJobs adds the bundle worker and its periodic job to a
// worker process's River set and queues; it returns the periodic job for the
// client.
func (p *platform) registerIssuanceJobs(workers *river.Workers, queues map[string]int, clerk string) (*river.PeriodicJob, error) {
	svc, err := issuance.New(issuance.Config{Pool: p.pool, Outbox: p.outbox, Clerk: clerk})
	if err != nil {
		return nil, err
	}
	svc.Register(workers)
	queues[issuance.Queue] = 1
	return issuance.PeriodicBundle(bundleEvery), nil
}
