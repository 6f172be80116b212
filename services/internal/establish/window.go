package establish

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// Window is the counter of an establishment: the clerk who opens lockers
// and accepts applications (role clerk), the officer who approves locker
// openings (role officer, A.5 b) and the supervisor who follows processes
// (role supervisor).
type Window struct {
	Clerk, Reviewer, Supervisor *Client
	// Every is the polling interval while waiting (default 200 ms).
	Every time.Duration
}

func (w *Window) every() time.Duration {
	if w.Every > 0 {
		return w.Every
	}
	return 200 * time.Millisecond
}

// Enterprise is what a locker opening states (A.5 a).
type Enterprise struct {
	Name, Address    string
	LegalRepName     string
	LegalRepIDNumber string // resident ID number with its check digit
	UnlockPassword   string // the locker's unlock password
	ClerkID          string // the window clerk's staff ID, committed on chain
}

// OpenLocker opens an enterprise locker, has it approved, and waits until
// the subject is active on chain; it returns the locker (subject) ID.
func (w *Window) OpenLocker(ctx context.Context, e Enterprise) (string, error) {
	clerk := e.ClerkID
	if clerk == "" {
		clerk = w.Clerk.Login
	}
	var l api.Locker
	if err := w.Clerk.Call(ctx, http.MethodPost, "/api/v1/lockers", map[string]any{
		"enterprise":          map[string]any{"name": e.Name, "address": e.Address},
		"legalRepresentative": map[string]any{"name": e.LegalRepName, "idNumber": e.LegalRepIDNumber},
		"clerkId":             clerk, "password": e.UnlockPassword,
	}, http.StatusAccepted, &l); err != nil {
		return "", fmt.Errorf("open locker: %w", err)
	}
	if err := w.Reviewer.Call(ctx, http.MethodPost, "/api/v1/lockers/"+l.Id+"/review",
		map[string]any{"approve": true, "note": "材料齐全，准予开通"}, http.StatusAccepted, nil); err != nil {
		return "", fmt.Errorf("review locker: %w", err)
	}
	err := Poll(ctx, w.every(), "locker "+l.Id+" active on chain", func() (bool, error) {
		var got api.Locker
		if err := w.Clerk.Call(ctx, http.MethodGet, "/api/v1/lockers/"+l.Id, nil, http.StatusOK, &got); err != nil {
			return false, err
		}
		return got.Status == model.StatusActive, nil
	})
	return l.Id, err
}

// ResidentID completes an 17-digit resident ID body with its GB 11643
// check character.
func ResidentID(body string) string {
	c, _ := acceptance.ResidentCheckChar(body)
	return body + string(c)
}

// USCC completes a 17-character unified social credit code body with its
// GB 32100 check character.
func USCC(body string) string {
	c, _ := acceptance.USCCCheckChar(body)
	return body + string(c)
}

// LegalRepID is the legal representative of the forms this package makes.
var LegalRepID = ResidentID("37010219900307451")

// AllServices are the six follow-up services of the establishment item: with
// the licence, all seven departments.
var AllServices = []string{"seal", "social", "medical", "housing-fund", "bank", "tax"}

// Form is a valid establishment application (7.6.1) of applicant, the
// subject ID of its locker, choosing services.
func Form(applicant string, services ...string) map[string]any {
	if services == nil {
		services = []string{}
	}
	return map[string]any{
		"applicant": applicant, "name": "济南市明湖信息技术有限公司", "enterpriseType": "llc", "registeredCapital": "1000000.00",
		"address": map[string]any{"division": "370102", "detail": "历下区泉城路 1 号"}, "businessScope": "软件开发；信息技术咨询服务",
		"shareholders": []map[string]any{
			{"kind": "person", "name": "张三", "idNumber": LegalRepID, "contribution": "600000"},
			{"kind": "enterprise", "name": "山东某投资有限公司", "idNumber": USCC("91370102MA3C4T5R1"), "contribution": "400000"},
		},
		"legalRepresentative": map[string]any{"name": "张三", "idNumber": LegalRepID, "phone": "13800000000"},
		"services":            services,
	}
}

// Apply submits an establishment form at the window and returns the
// accepted application, whose ID is the process ID on chain.
func (w *Window) Apply(ctx context.Context, form map[string]any) (api.Application, error) {
	var a api.Application
	if err := w.Clerk.Call(ctx, http.MethodPost, "/api/v1/applications", form, http.StatusCreated, &a); err != nil {
		return a, fmt.Errorf("apply: %w", err)
	}
	return a, nil
}

// Timeline is the supervisor's view of a process (7.6.6).
func (w *Window) Timeline(ctx context.Context, process string) (api.ProcessTimeline, error) {
	var tl api.ProcessTimeline
	err := w.Supervisor.Call(ctx, http.MethodGet, "/api/v1/supervision/processes/"+process, nil, http.StatusOK, &tl)
	return tl, err
}

// WaitTimeline polls the process's timeline until done accepts it.
func (w *Window) WaitTimeline(ctx context.Context, process, what string, done func(api.ProcessTimeline) bool) (api.ProcessTimeline, error) {
	var tl api.ProcessTimeline
	err := Poll(ctx, w.every(), fmt.Sprintf("process %s: %s", process, what), func() (bool, error) {
		var err error
		if tl, err = w.Timeline(ctx, process); err != nil {
			return false, err
		}
		return done(tl), nil
	})
	return tl, err
}

// WaitBundle waits until the process's unified issuance bundle is on chain
// and returns the timeline then. The bundle closes the process without
// changing its outcome: it is completed, or rejected when a department
// refused its step; the caller checks which.
func (w *Window) WaitBundle(ctx context.Context, process string) (api.ProcessTimeline, error) {
	return w.WaitTimeline(ctx, process, "bundle issued", func(tl api.ProcessTimeline) bool {
		return tl.Bundle != nil
	})
}
