package supervision_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

func TestTimeline_FromProjection_Postgres(t *testing.T) {
	pool := migrated(t)
	project(t, pool, establishment("APP-1"))
	tl, err := service(t, pool).Timeline(ctx, "APP-1")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	byKey := map[string]supervision.StepLine{}
	for _, l := range tl.Steps {
		keys = append(keys, l.Key)
		byKey[l.Key] = l
	}
	if len(keys) != 5 || keys[0] != "licence" || keys[4] != "archive" {
		t.Fatalf("steps out of definition order: %v", keys)
	}
	type want struct {
		duration int64 // -1: none
		late     bool
	}
	for key, w := range map[string]want{
		"licence": {20 * 60, false}, // ready -60m, decided -40m, limit 30m
		"seal":    {25 * 60, true},  // decided after its deadline, marked on chain
		"tax":     {40 * 60, true},  // undecided, 30 minutes past its deadline
		"bank":    {40 * 60, false}, // undecided, extended, within its deadline
		"archive": {-1, false},      // waiting for tax and bank
	} {
		l := byKey[key]
		got := int64(-1)
		if l.DurationSeconds != nil {
			got = *l.DurationSeconds
		}
		if got != w.duration || l.Late != w.late {
			t.Errorf("%s: duration %d late %v, want %d %v", key, got, l.Late, w.duration, w.late)
		}
	}
	if tl.Overdue != 2 || !byKey["seal"].OverdueOnChain || byKey["tax"].OverdueOnChain {
		t.Errorf("overdue %d, seal on chain %v, tax on chain %v", tl.Overdue, byKey["seal"].OverdueOnChain, byKey["tax"].OverdueOnChain)
	}
	if len(tl.Interventions) != 1 || tl.Interventions[0].Reason != "bank holiday" || byKey["bank"].Interventions != 1 || byKey["bank"].ExtensionSeconds != 3600 {
		t.Errorf("interventions %+v", tl.Interventions)
	}

	list, err := service(t, pool).Processes(ctx, supervision.ProcessFilter{Late: true})
	if err != nil || len(list) != 1 || list[0].Steps != 5 || list[0].Decided != 2 || list[0].Late != 2 {
		t.Fatalf("late processes %+v %v", list, err)
	}
	if list, _ := service(t, pool).Processes(ctx, supervision.ProcessFilter{Status: model.ProcessCompleted}); len(list) != 0 {
		t.Fatalf("completed processes %+v", list)
	}
}

// A rejected process keeps its status after its bundle: the status filter
// lists it with the rejected ones, never with the completed, and its
// timeline carries the bundle, which closes it — a step of it can no longer
// be reopened, while one of a rejected process still awaiting its bundle can.
func TestProcesses_RejectedAndClosedStaysRejected_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	project(t, pool, bundled(rejected("APP-CLOSED")))
	project(t, pool, rejected("APP-OPEN"))
	for status, want := range map[string][]string{
		model.ProcessRejected:  {"APP-CLOSED", "APP-OPEN"},
		model.ProcessCompleted: nil,
		model.ProcessRunning:   nil,
	} {
		list, err := s.Processes(ctx, supervision.ProcessFilter{Status: status})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range list {
			got = append(got, p.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("status %s lists %v, want %v", status, got, want)
		}
	}
	tl, err := s.Timeline(ctx, "APP-CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	if tl.Process.Status != model.ProcessRejected || tl.Bundle == nil || tl.Bundle.TxID != "tx-bundle" || tl.BundleQueued {
		t.Fatalf("timeline of the closed process: %+v, bundle %+v", tl.Process, tl.Bundle)
	}
	reopen := func(process string) model.InterventionRequest {
		return model.InterventionRequest{Process: process, Step: "tax", Action: model.InterveneReopen, Reason: "materials supplemented"}
	}
	if _, err := s.Intervene(ctx, "sup-1", reopen("APP-CLOSED")); !errors.Is(err, supervision.ErrInvalid) {
		t.Fatalf("reopen of a closed process: %v", err)
	}
	if iv, err := s.Intervene(ctx, "sup-1", reopen("APP-OPEN")); err != nil || iv.OutboxKey == "" {
		t.Fatalf("reopen of a process awaiting its bundle: %+v %v", iv, err)
	}
	// A note is still recorded on a closed process.
	if _, err := s.Intervene(ctx, "sup-1", model.InterventionRequest{Process: "APP-CLOSED", Step: "tax", Action: model.InterveneNote, Reason: "closed"}); err != nil {
		t.Fatalf("note on a closed process: %v", err)
	}
	var writes int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM supervision_interventions WHERE process = 'APP-CLOSED' AND action = 'reopen'`).Scan(&writes); err != nil || writes != 0 {
		t.Fatalf("%d reopens queued for the closed process (%v)", writes, err)
	}
}

func TestTimeline_BadInput_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	if _, err := s.Timeline(ctx, "no such"); !errors.Is(err, supervision.ErrInvalid) {
		t.Fatalf("bad ID: %v", err)
	}
	if _, err := s.Timeline(ctx, "APP-404"); !errors.Is(err, supervision.ErrNotFound) {
		t.Fatalf("unknown process: %v", err)
	}
	if _, err := s.Processes(ctx, supervision.ProcessFilter{Status: "lost"}); !errors.Is(err, supervision.ErrInvalid) {
		t.Fatalf("bad status: %v", err)
	}
	if _, err := s.Processes(ctx, supervision.ProcessFilter{Limit: 1000}); !errors.Is(err, supervision.ErrInvalid) {
		t.Fatalf("bad limit: %v", err)
	}
}

func TestCheckOverdue_RaisesOncePerReadyLateStep_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	project(t, pool, establishment("APP-1"))
	raised, err := s.CheckOverdue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Only tax: seal is decided, bank is within its extended deadline,
	// archive is not ready, licence was decided in time.
	if len(raised) != 1 || raised[0].Step != "tax" || raised[0].Department != "TaxMSP" {
		t.Fatalf("raised %+v", raised)
	}
	var writes, msgs int
	var fn, args string
	if err := pool.QueryRow(ctx, `SELECT count(*), max(function), max(args::text) FROM chain_outbox`).Scan(&writes, &fn, &args); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE recipient_kind = 'member' AND recipient_id = 'TaxMSP'`).Scan(&msgs); err != nil {
		t.Fatal(err)
	}
	var toSupervisor int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE recipient_kind = 'member' AND recipient_id = 'OperatorMSP'`).Scan(&toSupervisor); err != nil {
		t.Fatal(err)
	}
	if writes != 1 || fn != "MarkOverdue" || msgs != 1 || toSupervisor != 1 {
		t.Fatalf("writes %d (%s %s), messages %d", writes, fn, args, msgs)
	}
	again, err := s.CheckOverdue(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second run raised %+v %v", again, err)
	}
	alerts, err := s.Alerts(ctx, supervision.AlertOverdue, 0, 0)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts %+v %v", alerts, err)
	}
	if _, err := s.Alerts(ctx, "", -1, 0); !errors.Is(err, supervision.ErrInvalid) {
		t.Fatalf("bad page: %v", err)
	}
}

func TestCheckOverdue_NothingDue_Postgres(t *testing.T) {
	pool := migrated(t)
	v := establishment("APP-2")
	for i := range v.Steps {
		if v.Steps[i].Key == "tax" {
			v.Steps[i].Deadline = at(5 * time.Minute)
		}
	}
	project(t, pool, v)
	raised, err := service(t, pool).CheckOverdue(ctx)
	if err != nil || len(raised) != 0 {
		t.Fatalf("raised %+v %v", raised, err)
	}
}

func TestIntervene_BadInputChangesNothing_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	project(t, pool, establishment("APP-1"))
	for name, req := range map[string]model.InterventionRequest{
		"no reason":           {Process: "APP-1", Step: "tax", Action: model.InterveneNote},
		"unknown action":      {Process: "APP-1", Step: "tax", Action: "delete", Reason: "x"},
		"extend without time": {Process: "APP-1", Step: "tax", Action: model.InterveneExtend, Reason: "x"},
		"unknown step":        {Process: "APP-1", Step: "nope", Action: model.InterveneNote, Reason: "x"},
		"unknown process":     {Process: "APP-9", Step: "tax", Action: model.InterveneNote, Reason: "x"},
		"reassign to same":    {Process: "APP-1", Step: "tax", Action: model.InterveneReassign, Reason: "x", NewDepartment: "TaxMSP"},
	} {
		if _, err := s.Intervene(ctx, "sup-1", req); !errors.Is(err, supervision.ErrInvalid) && !errors.Is(err, supervision.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM chain_outbox) + (SELECT count(*) FROM supervision_interventions)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("bad input left %d rows (%v)", n, err)
	}
	iv, err := s.Intervene(ctx, "sup-1", model.InterventionRequest{Process: "APP-1", Step: "tax", Action: model.InterveneExtend, Reason: "staff ill", ExtendSeconds: 3600})
	if err != nil || iv.OutboxKey == "" {
		t.Fatalf("intervene: %+v %v", iv, err)
	}
}
