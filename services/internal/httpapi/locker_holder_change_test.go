package httpapi

import (
	"context"
	"slices"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
)

// TestLockerAPI_HoldingEnds_Devnet runs the end of a holding with the real
// authenticator, RBAC, audit and key service over devnet and PostgreSQL: the
// holders are listed to holders and staff only; a holder gives its holding up
// and is refused the locker's reads after; leaving a locker not held, unknown
// or malformed is a clear 4xx with nothing changed; a password change by
// holder A ends holder B's holding but not A's, a rotation by B ends A's, each
// ended holding recorded in the audit log.
func TestLockerAPI_HoldingEnds_Devnet(t *testing.T) {
	ctx := context.Background()
	p, lg, id := securedPlatform(t)
	// The key service as kaiban wires it: a change of a locker's password or
	// key ends its other holdings.
	ks, err := keys.New(p.Pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations},
		OnCustodyChange: locker.EndHoldingsOnKeyChange(lg)})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newServer(t, Options{Locker: p.Locker, Keys: ks, Security: SecurityOptions{Identity: id, Audit: lg}})
	h := s.Handler()

	sa := sessionAPI{t: t, h: h, id: id}
	call, ok := sa.call, sa.ok
	clerk, _ := sa.person("window-clerk", "窗口人员", "clerk")
	a, aID := sa.person("holder-a", "张三丰", "applicant")
	b, bID := sa.person("holder-b", "李四", "applicant")
	stranger, _ := sa.person("not-a-holder", "王五", "applicant")

	var l api.Locker
	ok(202, clerk, "POST", "/api/v1/lockers", map[string]any{
		"enterprise":          map[string]any{"name": "退出持有测试有限公司"},
		"legalRepresentative": map[string]any{"name": "张三", "idNumber": lkIDNumber},
		"clerkId":             "window-clerk", "password": lkFirmPassword,
	}, &l)
	firm := "/api/v1/lockers/" + l.Id
	holders, me := firm+"/holders", firm+"/holders/me"
	ok(201, a, "POST", holders, map[string]any{"password": lkFirmPassword}, nil)
	ok(201, b, "POST", holders, map[string]any{"password": lkFirmPassword}, nil)

	// listed returns the user IDs of the locker's holders as token sees them.
	listed := func(token string) []string {
		t.Helper()
		var list api.LockerHolderList
		ok(200, token, "GET", holders, nil, &list)
		out := []string{}
		for _, x := range list.Items {
			out = append(out, x.UserId.String())
		}
		return out
	}
	var list api.LockerHolderList
	ok(200, a, "GET", holders, nil, &list)
	if len(list.Items) != 2 || list.Items[0].UserId.String() != aID || list.Items[0].Login != "holder-a" ||
		list.Items[0].Name == nil || *list.Items[0].Name != "张**" || list.Items[1].UserId.String() != bID {
		t.Fatalf("holders as holder A: %+v", list.Items)
	}
	if got := listed(clerk); !slices.Equal(got, []string{aID, bID}) {
		t.Fatalf("holders as the clerk: %v", got)
	}
	problemOf(t, call(stranger, "GET", holders, nil), 403, "denied")
	problemOf(t, call(clerk, "GET", "/api/v1/lockers/0123456789abcdef0123456789abcdef/holders", nil), 404, "not-found")

	// What a refusal must leave as it was: the holdings and the keys.
	state := func() string {
		var out string
		if err := p.Pool.QueryRow(ctx, `SELECT concat_ws(',',
			(SELECT string_agg(user_id::text || '@' || locker_id, ' ' ORDER BY user_id) FROM locker_holders),
			(SELECT string_agg(key_id || ':' || custody_rev || ':' || status, ' ' ORDER BY key_id) FROM keys))`).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := state()
	problemOf(t, call(stranger, "DELETE", me, nil), 404, "not-found")
	problemOf(t, call(a, "DELETE", "/api/v1/lockers/0123456789abcdef0123456789abcdef/holders/me", nil), 404, "not-found")
	problemOf(t, call(a, "DELETE", "/api/v1/lockers/-bad-id/holders/me", nil), 400, "invalid")
	problemOf(t, call(a, "GET", "/api/v1/lockers/-bad-id/holders", nil), 400, "invalid")
	// A wrong old password changes nothing (it counts toward the lockout).
	problemOf(t, call(a, "POST", "/api/v1/keys/subject/"+l.Id+"/password",
		map[string]any{"oldPassword": "not the password", "newPassword": "a new unlock password"}), 403, "denied")
	if after := state(); after != before {
		t.Fatalf("refusals changed something: %s → %s", before, after)
	}

	// ended returns the audit log's ended holdings of the locker: holder,
	// cause and actor.
	ended := func() []string {
		t.Helper()
		if err := lg.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := p.Pool.Query(ctx, `SELECT (detail::jsonb)->>'holder', (detail::jsonb)->>'cause', actor_id FROM audit_log
			WHERE action = $1 AND resource = $2 ORDER BY seq`, locker.ActionHoldingEnded, "locker:"+l.Id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var holder, cause, actor string
			if err := rows.Scan(&holder, &cause, &actor); err != nil {
				t.Fatal(err)
			}
			out = append(out, holder+" "+cause+" by "+actor)
		}
		return out
	}

	// Holder A changes the password: B's holding ends, A's stays.
	const second = "second unlock password"
	ok(204, a, "POST", "/api/v1/keys/subject/"+l.Id+"/password", map[string]any{"oldPassword": lkFirmPassword, "newPassword": second}, nil)
	if got := listed(a); !slices.Equal(got, []string{aID}) {
		t.Fatalf("holders after A's password change: %v", got)
	}
	ok(200, a, "GET", firm, nil, nil)
	problemOf(t, call(b, "GET", firm, nil), 403, "denied")
	problemOf(t, call(b, "GET", holders, nil), 403, "denied")
	if got := ended(); !slices.Equal(got, []string{bID + " password by " + aID}) {
		t.Fatalf("audited ends after the password change: %v", got)
	}
	// B must prove the new password: the old one no longer binds.
	problemOf(t, call(b, "POST", holders, map[string]any{"password": lkFirmPassword}), 403, "denied")
	ok(201, b, "POST", holders, map[string]any{"password": second}, nil)

	// Holder B rotates the key: A's holding ends, B's stays.
	ok(200, b, "POST", "/api/v1/keys/subject/"+l.Id+"/rotation", map[string]any{"password": second, "note": "密钥更换"}, nil)
	if got := listed(b); !slices.Equal(got, []string{bID}) {
		t.Fatalf("holders after B's rotation: %v", got)
	}
	problemOf(t, call(a, "GET", firm, nil), 403, "denied")
	if got := ended(); !slices.Equal(got, []string{bID + " password by " + aID, aID + " rotation by " + bID}) {
		t.Fatalf("audited ends after the rotation: %v", got)
	}

	// B gives its holding up: its reads are refused, leaving again is 404.
	ok(204, b, "DELETE", me, nil, nil)
	for _, path := range []string{firm, firm + "/assets", firm + "/requests", holders} {
		problemOf(t, call(b, "GET", path, nil), 403, "denied")
	}
	var holdings api.LockerHoldingList
	ok(200, b, "GET", "/api/v1/locker-holdings", nil, &holdings)
	if len(holdings.Items) != 0 {
		t.Fatalf("holdings after leaving: %+v", holdings.Items)
	}
	problemOf(t, call(b, "DELETE", me, nil), 404, "not-found")
	if got := listed(clerk); len(got) != 0 {
		t.Fatalf("holders after everyone left: %v", got)
	}
	// Giving a holding up is the holder's own act, recorded as its call.
	if got := ended(); len(got) != 2 {
		t.Fatalf("a holder leaving was recorded as an ended holding: %v", got)
	}
}
