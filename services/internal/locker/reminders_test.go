package locker_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
)

func TestRemind_DueSoonRemindedOverdueEscalatedOnce_Devnet(t *testing.T) {
	w := newWithAssets(t)
	bank := locker.Accessor{Member: Bank, Password: bankPassword}
	soon, err := w.locker.RequestAccess(ctx, locker.RequestInput{Asset: w.asym, Requester: bank, Purpose: "开户审核", DueAt: time.Now().Add(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.locker.RequestAccess(ctx, locker.RequestInput{Asset: w.sym, Requester: bank, Purpose: "later", DueAt: time.Now().Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// A person holding the owner's locker is told in their own mailbox too;
	// a user holding nothing is not.
	var holder, bystander string
	for _, u := range []struct {
		login string
		id    *string
	}{{"locker-holder", &holder}, {"bystander", &bystander}} {
		if err := w.pool.QueryRow(ctx, `INSERT INTO identity_users (login, name_sealed, department_code, password_hash)
			VALUES ($1, '\x00', 'operator', 'unused') RETURNING id::text`, u.login).Scan(u.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.locker.Bind(ctx, w.firm, holder, firmPassword); err != nil {
		t.Fatal(err)
	}
	res, err := w.locker.Remind(ctx, time.Now(), time.Hour)
	if err != nil || res.Reminded != 1 || res.Escalated != 0 {
		t.Fatalf("first run %+v, %v", res, err)
	}
	time.Sleep(2100 * time.Millisecond)
	// Through River this time: the overdue request is escalated to the owner
	// and to the member that sponsors its locker, once however often it runs.
	workers := river.NewWorkers()
	w.locker.Register(workers)
	rc, err := jobs.NewClient(w.pool, workers, jobs.Config{Queues: map[string]int{locker.Queue: 1}, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer rc.Stop(ctx)
	for range 2 {
		if _, err := rc.Insert(ctx, locker.RemindArgs{RemindBefore: time.Hour}, nil); err != nil {
			t.Fatal(err)
		}
	}
	count := func(topic, kind string) int {
		var n int
		if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE topic = $1 AND recipient_kind = $2 AND ref = $3`, topic, kind, soon.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, "escalated", func() bool { return count(locker.TopicEscalation, "member") == 1 })
	time.Sleep(300 * time.Millisecond)
	if count(locker.TopicReminder, "subject") != 1 || count(locker.TopicEscalation, "subject") != 1 || count(locker.TopicEscalation, "member") != 1 {
		t.Fatal("reminders not sent exactly once")
	}
	to := func(topic, user string) int {
		var n int
		if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE topic = $1 AND recipient_kind = 'user' AND recipient_id = $2 AND ref = $3`,
			topic, user, soon.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if to(locker.TopicReminder, holder) != 1 || to(locker.TopicEscalation, holder) != 1 {
		t.Fatalf("the holder got %d reminders and %d escalations, want 1 and 1", to(locker.TopicReminder, holder), to(locker.TopicEscalation, holder))
	}
	if n := to(locker.TopicReminder, bystander) + to(locker.TopicEscalation, bystander); n != 0 {
		t.Fatalf("a user holding nothing got %d messages", n)
	}
}
