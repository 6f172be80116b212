package locker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/messages"
)

// Queue is the River queue of the locker's jobs.
const Queue = "locker"

// Message topics of the reminders (7.6.2 f).
const (
	TopicReminder   = "locker.reminder"
	TopicEscalation = "locker.escalation"
)

// DefaultRemindBefore is how long before its due time a pending access
// request is first brought to its owner's attention.
const DefaultRemindBefore = 24 * time.Hour

// RemindResult counts what one reminder run sent.
type RemindResult struct {
	Reminded  int `json:"reminded"`
	Escalated int `json:"escalated"`
}

// Remind reads the pending access requests from the chain
// (authorization.ListPendingRequests) and, through package messages, reminds
// each owner of a request due within remindBefore of now, and escalates a
// request past its due time: the owner is told again and the member that
// sponsors the owner's locker is asked to follow up. What goes to the owner
// goes to the subject's mailbox and to the user mailbox of each person who
// holds its locker (Bind): a subject's mailbox is read only by those allowed
// every mailbox, and it is the holders who answer the request. Each reminder
// and escalation is sent once to each (messages' dedup key), so runs may
// repeat, and a holder bound since the last run gets those still due.
func (s *Service) Remind(ctx context.Context, now time.Time, remindBefore time.Duration) (RemindResult, error) {
	var res RemindResult
	if remindBefore <= 0 {
		remindBefore = DefaultRemindBefore
	}
	if s.chain == nil {
		return res, errors.New("remind: the locker has no chain client")
	}
	ct, err := s.chain.Contract(s.gateway, model.ChaincodeAuthorization)
	if err != nil {
		return res, err
	}
	bound := model.FormatTime(now.Add(remindBefore))
	bookmark := ""
	for {
		page, err := chain.EvaluateJSON[model.AccessRequestPage](ctx, ct, "ListPendingRequests",
			chain.WithArguments("", bound, "100", bookmark))
		if err != nil {
			return res, fmt.Errorf("remind: list pending requests: %w", err)
		}
		for _, r := range page.Items {
			due, err := time.Parse(time.RFC3339Nano, r.DueAt)
			if err != nil {
				continue
			}
			if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				owner, err := ownerMailboxes(ctx, tx, r.Owner)
				if err != nil {
					return err
				}
				if due.After(now) {
					res.Reminded++
					return s.sendAll(ctx, tx, r, TopicReminder, owner,
						"授权申请待处理", fmt.Sprintf("%s 申请访问资产 %s（%s），请在 %s 前处理。", r.Requester, r.Asset, r.Purpose, r.DueAt))
				}
				res.Escalated++
				if err := s.sendAll(ctx, tx, r, TopicEscalation, owner,
					"授权申请已超时", fmt.Sprintf("%s 申请访问资产 %s（%s）已于 %s 超时未处理。", r.Requester, r.Asset, r.Purpose, r.DueAt)); err != nil {
					return err
				}
				var sponsor string
				if err := tx.QueryRow(ctx, `SELECT sponsor FROM ledger_subjects WHERE id = $1`, r.Owner).Scan(&sponsor); err != nil {
					return nil // the owner's record is not projected yet; the next run escalates to its sponsor
				}
				return s.send(ctx, tx, r, TopicEscalation, messages.Address{Kind: messages.KindMember, ID: sponsor},
					"授权申请超时督办", fmt.Sprintf("主体 %s 未在 %s 前处理 %s 对资产 %s 的授权申请。", r.Owner, r.DueAt, r.Requester, r.Asset))
			}); err != nil {
				return res, fmt.Errorf("remind: request %s: %w", r.ID, err)
			}
		}
		if page.Bookmark == "" || len(page.Items) == 0 {
			return res, nil
		}
		bookmark = page.Bookmark
	}
}

// ownerMailboxes are the mailboxes told of a request to owner: the
// subject's own and those of the people holding its locker.
func ownerMailboxes(ctx context.Context, tx pgx.Tx, owner string) ([]messages.Address, error) {
	rows, err := tx.Query(ctx, `SELECT user_id::text FROM locker_holders WHERE locker_id = $1 ORDER BY bound_at`, owner)
	if err != nil {
		return nil, fmt.Errorf("holders of %s: %w", owner, err)
	}
	holders, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("holders of %s: %w", owner, err)
	}
	out := []messages.Address{{Kind: messages.KindSubject, ID: owner}}
	for _, h := range holders {
		out = append(out, messages.Address{Kind: messages.KindUser, ID: h})
	}
	return out, nil
}

func (s *Service) sendAll(ctx context.Context, tx pgx.Tx, r model.AccessRequest, topic string, to []messages.Address, title, body string) error {
	for _, a := range to {
		if err := s.send(ctx, tx, r, topic, a, title, body); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) send(ctx context.Context, tx pgx.Tx, r model.AccessRequest, topic string, to messages.Address, title, body string) error {
	_, err := messages.Send(ctx, tx, messages.Message{
		From: messages.System, To: to, Topic: topic, Title: title, Body: body, Ref: r.ID,
		DedupKey: "locker/" + topic + "/" + r.ID + "/" + to.String(),
	})
	return err
}

// RemindArgs is the River job that runs Remind.
type RemindArgs struct {
	RemindBefore time.Duration `json:"remindBefore,omitempty"`
}

// Kind names the job.
func (RemindArgs) Kind() string { return "kaiban.locker.remind" }

// InsertOpts puts the job on Queue.
func (RemindArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: Queue} }

// RemindWorker works RemindArgs.
type RemindWorker struct {
	river.WorkerDefaults[RemindArgs]
	s *Service
}

// Work runs one reminder pass.
func (w *RemindWorker) Work(ctx context.Context, job *river.Job[RemindArgs]) error {
	_, err := w.s.Remind(ctx, time.Now(), job.Args.RemindBefore)
	return err
}

// Register adds the locker's workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &RemindWorker{s: s})
}

// PeriodicRemind is the periodic reminder job; add it to the working River
// client (client.PeriodicJobs().Add) with Queue among its queues.
func PeriodicRemind(every, remindBefore time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return RemindArgs{RemindBefore: remindBefore}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
