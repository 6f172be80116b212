package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/establish"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
)

// The demo data of kaiban dev (never of kaiban serve): on a platform without
// them, an account for each role a person would try, all with one published
// development password, and one establishment driven through the REST API to
// its bundle, so that the locker, supervision and monitoring pages have
// something to show. KAIBAN_DEMO chooses:
//
//	on (default)  the accounts and the demo establishment
//	accounts      the accounts only
//	off           nothing
//
// Seeding is idempotent: existing logins are left as they are (a changed
// password stays changed), and the establishment is driven only by the start
// that created the accounts.

// DemoPassword is the password of every demo account and of the demo
// company's locker. It is published (README, docs/services.md, the start
// summary): it must never protect anything but a developer's kaiban dev.
const DemoPassword = "Kaiban-Demo-2021"

// demoAccount is one demo login.
type demoAccount struct {
	login, name, department string
	roles                   []string
}

// demoAccounts are the accounts kaiban dev seeds: the three separated
// administrators, the window clerk, the operator's officer who approves
// locker openings, an officer of each of the seven departments, the
// supervisor, the regulator and an applicant.
var demoAccounts = []demoAccount{
	{"demo-sysadmin", "演示 系统管理员", "operator", []string{"sysadmin"}},
	{"demo-secadmin", "演示 安全管理员", "operator", []string{"secadmin"}},
	{"demo-auditadmin", "演示 审计管理员", "operator", []string{"auditadmin"}},
	{"demo-clerk", "演示 综合受理窗口", "operator", []string{"clerk"}},
	{"demo-reviewer", "演示 保险箱开通审核", "operator", []string{"officer"}},
	{"demo-market", "演示 市场监管审批", "market", []string{"officer"}},
	{"demo-seal", "演示 公安印章审批", "seal", []string{"officer"}},
	{"demo-social", "演示 人社审批", "social", []string{"officer"}},
	{"demo-medical", "演示 医保审批", "medical", []string{"officer"}},
	{"demo-housing-fund", "演示 公积金审批", "housing-fund", []string{"officer"}},
	{"demo-bank", "演示 银行开户", "bank", []string{"officer"}},
	{"demo-tax", "演示 税务审批", "tax", []string{"officer"}},
	{"demo-supervisor", "演示 流程监管", "operator", []string{"supervisor"}},
	{"demo-regulator", "演示 监管机构", "operator", []string{"regulator"}},
	{"demo-applicant", "演示 企业申请人", "operator", []string{"applicant"}},
}

// demo is what kaiban dev seeds, from KAIBAN_DEMO.
type demo struct {
	establishment bool
	// fresh is set when this start created the accounts.
	fresh bool
}

// demoFrom reads KAIBAN_DEMO; nil means no demo data.
func demoFrom(v string) (*demo, error) {
	switch strings.TrimSpace(v) {
	case "", "on":
		return &demo{establishment: true}, nil
	case "accounts":
		return &demo{}, nil
	case "off":
		return nil, nil
	}
	return nil, fmt.Errorf("KAIBAN_DEMO %q: want on, accounts or off", v)
}

// seedDemoAccounts creates the demo accounts that do not exist yet.
func (p *platform) seedDemoAccounts(ctx context.Context, id *identity.Service) error {
	created := 0
	for _, a := range demoAccounts {
		_, err := id.CreateDemoUser(ctx, identity.NewUser{Login: a.login, Name: a.name, Department: a.department, Password: DemoPassword}, a.roles)
		switch {
		case errors.Is(err, identity.ErrConflict):
		case err != nil:
			return fmt.Errorf("demo account %s: %w", a.login, err)
		default:
			created++
		}
	}
	p.demo.fresh = created == len(demoAccounts)
	p.started("demo", "accounts demo-clerk, demo-reviewer, demo-market … demo-tax (officers), demo-supervisor, demo-regulator,")
	p.started("", "demo-applicant, demo-sysadmin, demo-secadmin, demo-auditadmin; password "+DemoPassword+" (development only)")
	switch {
	case p.demo.fresh && p.demo.establishment:
		p.started("", "created now; a demo establishment runs to its bundle (KAIBAN_DEMO=accounts|off for less)")
	case p.demo.fresh:
		p.started("", "created now (KAIBAN_DEMO=off seeds nothing)")
	default:
		p.started("", fmt.Sprintf("%d created now, the others kept as they are; no new demo establishment", created))
	}
	return nil
}

// demoCompany is the demo establishment's company.
var demoCompany = establish.Enterprise{
	Name: "济南市泉城示范信息技术有限公司", Address: "济南市历下区泉城路 1 号",
	LegalRepName: "张三", LegalRepIDNumber: establish.LegalRepID, UnlockPassword: DemoPassword, ClerkID: "demo-clerk",
}

// driveDemo runs the demo establishment through the API at base: the clerk
// opens the demo company's locker, the reviewer approves it, the clerk
// accepts the establishment form with every follow-up service, and the
// simulated departments take it to its bundle. It only logs: a dev platform
// whose departments are off keeps the application waiting, as it should.
func (p *platform) driveDemo(ctx context.Context, base string) {
	if p.demo == nil || !p.demo.establishment || !p.demo.fresh {
		return
	}
	log := p.log.With("component", "demo")
	err := func() error {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
		defer cancel()
		hc := &http.Client{Timeout: time.Minute}
		var w establish.Window
		for _, s := range []struct {
			c     **establish.Client
			login string
		}{{&w.Clerk, "demo-clerk"}, {&w.Reviewer, "demo-reviewer"}, {&w.Supervisor, "demo-supervisor"}} {
			err := establish.Poll(ctx, time.Second, "sign in as "+s.login, func() (bool, error) {
				c, err := establish.Login(ctx, base, hc, s.login, DemoPassword)
				*s.c = c
				return err == nil, err
			})
			if err != nil {
				return err
			}
		}
		w.Every = time.Second
		locker, err := w.OpenLocker(ctx, demoCompany)
		if err != nil {
			return err
		}
		a, err := w.Apply(ctx, establish.Form(locker, establish.AllServices...))
		if err != nil {
			return err
		}
		log.Info("demo establishment applied", "locker", locker, "process", a.Id)
		tl, err := w.WaitBundle(ctx, a.Id)
		if err != nil {
			return err
		}
		log.Info("demo establishment issued: its bundle is in the demo company's locker", "locker", locker, "process", a.Id, "status", tl.Process["status"])
		return p.demoBankReads(ctx, base, hc, locker, a.Id)
	}()
	if err != nil && ctx.Err() == nil {
		log.Warn("demo establishment not completed", "error", err.Error())
	}
}

// demoBankReads lets the bank see the demo company's licence as a bank would
// before opening its account: the applicant grants the bank a view, and the
// bank's officer reads it with a reason, so the licence has usage records
// and the bank's officer a granted asset to open.
func (p *platform) demoBankReads(ctx context.Context, base string, hc *http.Client, firm, process string) error {
	applicant, err := establish.Login(ctx, base, hc, "demo-applicant", DemoPassword)
	if err != nil {
		return err
	}
	bank, err := establish.Login(ctx, base, hc, "demo-bank", DemoPassword)
	if err != nil {
		return err
	}
	// The applicant becomes a holder of the demo company's locker (it reads
	// only the lockers it holds) by proving the unlock password.
	if err := applicant.Call(ctx, http.MethodPost, "/api/v1/lockers/"+firm+"/holders", map[string]any{"password": DemoPassword}, http.StatusCreated, nil); err != nil {
		return err
	}
	var assets api.LockerAssetList
	if err := applicant.Call(ctx, http.MethodGet, "/api/v1/lockers/"+firm+"/assets?type=business-licence", nil, http.StatusOK, &assets); err != nil {
		return err
	}
	for _, d := range assets.Items {
		var g api.LockerGrant
		if err := applicant.Call(ctx, http.MethodPost, "/api/v1/locker-assets/"+d.Id+"/grants", map[string]any{
			"grantor": firm, "password": DemoPassword, "grantee": "BankMSP", "granteeMember": true,
			"kind": "authorization", "scope": "view", "purpose": "银行开户核验营业执照", "expiresAt": time.Now().AddDate(0, 0, 30)},
			http.StatusCreated, &g); err != nil {
			return err
		}
		return bank.Call(ctx, http.MethodPost, "/api/v1/locker-assets/"+d.Id+"/view", map[string]any{
			"member": "BankMSP", "password": p.departmentKeyPassword("bank"), "grant": g.Id, "reason": "基本存款账户开户审核：核验营业执照"},
			http.StatusOK, nil)
	}
	return fmt.Errorf("no licence of process %s in locker %s", process, firm)
}
