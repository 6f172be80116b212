package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/messages"
	"github.com/kaiban-platform/kaiban/services/internal/monitoring"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// The oversight operations (api-spec blocks `# --- messages ---`,
// `# --- supervision ---`, `# --- monitoring ---`): point-to-point messages
// with their live stream, process supervision and the regulator service, and
// chain monitoring. Each handler turns the generated request into one domain
// call; responses are the domain's JSON, which the contract's schemas
// describe field for field.

// Oversight wires the oversight services; a nil service answers its
// operations with 503.
type Oversight struct {
	Messages    *messages.Store
	Hub         *messages.Hub // live delivery; the stream answers 503 without it
	Supervision *supervision.Service
	Monitoring  *monitoring.Service
	// Audit records the regulator's accesses; Security.Audit when nil.
	Audit supervision.Auditor
	// Keepalive is the interval of SSE comments on an idle stream; default 25 s.
	Keepalive time.Duration
}

var (
	errMessagesOff    = errors.New("the message service does not run in this process")
	errSupervisionOff = errors.New("the supervision service does not run in this process")
	errMonitoringOff  = errors.New("the monitoring service does not run in this process")
)

// StreamPath is the server-sent event stream of a mailbox.
const StreamPath = "/api/v1/messages/stream"

// convert moves a domain value into the generated type with the same JSON.
func convert[T any](v any) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	return out, json.Unmarshal(b, &out)
}

func invalid(format string, args ...any) error {
	return model.Errorf(model.CodeInvalid, format, args...)
}

func intCursor(c *string) (int64, error) {
	if c == nil || *c == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(*c, 10, 64)
	if err != nil || n < 1 {
		return 0, invalid("cursor %q is not the next of a previous page", *c)
	}
	return n, nil
}

func orZero[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

// --- messages ---

func (s *Server) messageStore() (*messages.Store, error) {
	if s.oversight.Messages == nil {
		return nil, errMessagesOff
	}
	return s.oversight.Messages, nil
}

// ownMailbox is the caller's own mailbox: a user's, or a department
// system's department (as an alliance member).
func ownMailbox(p *identity.Principal) messages.Address {
	if p.Kind == identity.KindClient && p.Department != "" {
		return messages.Address{Kind: messages.KindMember, ID: p.Department}
	}
	return messages.Address{Kind: messages.KindUser, ID: p.ID}
}

// mailbox resolves the mailbox a request acts on: the caller's own when
// named is nil; else one the caller may use — its own, its department's, or
// any with messages.mailboxes:<action>.
func (s *Server) mailbox(ctx context.Context, named *string, action string) (messages.Address, error) {
	p := Caller(ctx)
	if p == nil {
		return messages.Address{}, ErrUnauthenticated
	}
	own := ownMailbox(p)
	if named == nil {
		return own, nil
	}
	a, err := messages.ParseAddress(*named)
	if err != nil {
		return a, err
	}
	if a == own || (a.Kind == messages.KindMember && p.Department != "" && a.ID == p.Department) {
		return a, nil
	}
	if err := s.Require(ctx, identity.Perm("messages.mailboxes", action)); err != nil {
		if errors.Is(err, errNoIdentity) {
			return a, fmt.Errorf("%w: mailbox %s is not the caller's", identity.ErrForbidden, a)
		}
		return a, err
	}
	return a, nil
}

// ListMessages returns a page of a mailbox.
func (s *Server) ListMessages(ctx context.Context, r api.ListMessagesRequestObject) (api.ListMessagesResponseObject, error) {
	st, err := s.messageStore()
	if err != nil {
		return nil, err
	}
	box, err := s.mailbox(ctx, r.Params.Mailbox, "read")
	if err != nil {
		return nil, err
	}
	before, err := intCursor(r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	page := messages.Page{Before: before, Limit: orZero(r.Params.Limit), UnreadOnly: orZero(r.Params.Unread), Topic: orZero(r.Params.Topic)}
	list := st.Inbox
	if r.Params.Box != nil && *r.Params.Box == "sent" {
		list = st.Sent
	}
	ms, err := list(ctx, box, page)
	if err != nil {
		return nil, err
	}
	out := api.ListMessages200JSONResponse{}
	if out.Items, err = convert[[]api.Message](ms); err != nil {
		return nil, err
	}
	limit := page.Limit
	if limit == 0 {
		limit = messages.DefaultLimit
	}
	if len(ms) == limit {
		next := strconv.FormatInt(ms[len(ms)-1].ID, 10)
		out.Next = &next
	}
	return out, nil
}

// SendMessage sends a message from the caller's mailbox (or one it may use).
func (s *Server) SendMessage(ctx context.Context, r api.SendMessageRequestObject) (api.SendMessageResponseObject, error) {
	st, err := s.messageStore()
	if err != nil {
		return nil, err
	}
	from, err := s.mailbox(ctx, r.Body.From, "write")
	if err != nil {
		return nil, err
	}
	to, err := messages.ParseAddress(r.Body.To)
	if err != nil {
		return nil, err
	}
	m, err := st.Send(ctx, messages.Message{From: from, To: to, Topic: r.Body.Topic, Title: r.Body.Title,
		Body: orZero(r.Body.Body), Ref: orZero(r.Body.Ref)})
	if err != nil {
		return nil, err
	}
	out, err := convert[api.SendMessage201JSONResponse](m)
	return out, err
}

// GetMessage returns one message of a mailbox.
func (s *Server) GetMessage(ctx context.Context, r api.GetMessageRequestObject) (api.GetMessageResponseObject, error) {
	st, err := s.messageStore()
	if err != nil {
		return nil, err
	}
	box, err := s.mailbox(ctx, r.Params.Mailbox, "read")
	if err != nil {
		return nil, err
	}
	m, err := st.Get(ctx, box, r.MessageId)
	if err != nil {
		return nil, err
	}
	return convert[api.GetMessage200JSONResponse](m)
}

// MarkMessageRead records the read receipt of a received message.
func (s *Server) MarkMessageRead(ctx context.Context, r api.MarkMessageReadRequestObject) (api.MarkMessageReadResponseObject, error) {
	st, err := s.messageStore()
	if err != nil {
		return nil, err
	}
	box, err := s.mailbox(ctx, r.Params.Mailbox, "read")
	if err != nil {
		return nil, err
	}
	m, err := st.MarkRead(ctx, box, r.MessageId)
	if err != nil {
		return nil, err
	}
	return convert[api.MarkMessageRead200JSONResponse](m)
}

// mountOversight adds the routes outside the contract: the message stream.
// It identifies the caller itself (the contract's authenticator passes
// routes that are not operations): with the identity service when there is
// one, else with custom (tests).
func (s *Server) mountOversight(e *gin.Engine, custom gin.HandlerFunc) {
	e.GET(StreamPath, func(c *gin.Context) {
		if s.sec.Identity != nil {
			p, err := s.identify(c, map[string]bool{"sessionCookie": true, "bearerToken": true, "clientCertificate": true, "apiKeyID": true, "apiKeySignature": true})
			if err != nil {
				writeError(c, err)
				return
			}
			if p == nil {
				writeError(c, fmt.Errorf("%w: send a session cookie, a bearer token, a client certificate or a signed API key", ErrUnauthenticated))
				return
			}
			c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), p))
			SetClient(c, p.Kind+":"+p.ID)
			if err := s.sec.Identity.Authorize(c, p, identity.Perm("messages", "read")); err != nil {
				writeError(c, err)
				return
			}
		} else if custom != nil {
			custom(c)
			if c.IsAborted() {
				return
			}
		}
		s.streamMessages(c)
	})
}

// streamMessages serves a mailbox as server-sent events.
func (s *Server) streamMessages(c *gin.Context) {
	st, err := s.messageStore()
	if err == nil && s.oversight.Hub == nil {
		err = errMessagesOff
	}
	if err != nil {
		writeError(c, err)
		return
	}
	var named *string
	if v, ok := c.GetQuery("mailbox"); ok {
		named = &v
	}
	box, err := s.mailbox(c.Request.Context(), named, "read")
	if err != nil {
		writeError(c, err)
		return
	}
	var last int64
	if v := c.GetHeader("Last-Event-ID"); v != "" {
		if last, err = strconv.ParseInt(v, 10, 64); err != nil || last < 0 {
			writeError(c, invalid("Last-Event-ID %q is not a message ID", v))
			return
		}
	}
	keepalive := s.oversight.Keepalive
	if keepalive <= 0 {
		keepalive = 25 * time.Second
	}
	// A stream outlives the server's write timeout by design.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	c.Writer.WriteHeaderNow()
	// EventSource reconnects after 3 s, sending Last-Event-ID.
	_, _ = fmt.Fprint(c.Writer, "retry: 3000\n\n")
	c.Writer.Flush()
	emit := func(m messages.Message) error {
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(c.Writer, "id: %d\nevent: message\ndata: %s\n\n", m.ID, data); err != nil {
			return err
		}
		c.Writer.Flush()
		return nil
	}
	ping := func() error {
		if _, err := fmt.Fprint(c.Writer, ": keepalive\n\n"); err != nil {
			return err
		}
		c.Writer.Flush()
		return nil
	}
	if err := st.Stream(c.Request.Context(), s.oversight.Hub, box, last, keepalive, emit, ping); err != nil {
		s.log.Warn("message stream ended", "mailbox", box.String(), "err", err)
	}
}

// --- supervision ---

func (s *Server) supervisionService() (*supervision.Service, error) {
	if s.oversight.Supervision == nil {
		return nil, errSupervisionOff
	}
	return s.oversight.Supervision, nil
}

func (s *Server) regulatorAudit() supervision.Auditor {
	if s.oversight.Audit != nil {
		return s.oversight.Audit
	}
	if s.sec.Audit != nil {
		return s.sec.Audit
	}
	return nil
}

// ListSupervisedProcesses lists processes with their progress.
func (s *Server) ListSupervisedProcesses(ctx context.Context, r api.ListSupervisedProcessesRequestObject) (api.ListSupervisedProcessesResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	f := supervision.ProcessFilter{Status: string(orZero(r.Params.Status)), Late: orZero(r.Params.Late),
		Before: orZero(r.Params.Cursor), Limit: orZero(r.Params.Limit)}
	ps, err := svc.Processes(ctx, f)
	if err != nil {
		return nil, err
	}
	out := api.ListSupervisedProcesses200JSONResponse{}
	if out.Items, err = convert[[]api.SupervisedProcess](ps); err != nil {
		return nil, err
	}
	out.Next = nextPage(len(ps), f.Limit, supervision.DefaultLimit, func() string { return ps[len(ps)-1].CreatedAt.Format(time.RFC3339Nano) })
	return out, nil
}

// nextPage returns the cursor of the next page when this page of n items is
// full (limit, or def when limit is 0), and nil at the end of the list.
func nextPage(n, limit, def int, last func() string) *string {
	if limit == 0 {
		limit = def
	}
	if n == 0 || n < limit {
		return nil
	}
	c := last()
	return &c
}

// GetProcessTimeline returns one application's timeline.
func (s *Server) GetProcessTimeline(ctx context.Context, r api.GetProcessTimelineRequestObject) (api.GetProcessTimelineResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	tl, err := svc.Timeline(ctx, r.ProcessId)
	if err != nil {
		return nil, err
	}
	return convert[api.GetProcessTimeline200JSONResponse](tl)
}

// InterveneInStep queues a supervisor's intervention for the chain.
func (s *Server) InterveneInStep(ctx context.Context, r api.InterveneInStepRequestObject) (api.InterveneInStepResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	p := Caller(ctx)
	if p == nil {
		return nil, ErrUnauthenticated
	}
	iv, err := svc.Intervene(ctx, p.Kind+":"+p.ID, model.InterventionRequest{
		Process: r.ProcessId, Step: r.StepKey, Action: string(r.Body.Action), Reason: r.Body.Reason,
		ExtendSeconds: orZero(r.Body.ExtendSeconds), NewDepartment: orZero(r.Body.NewDepartment),
	})
	if err != nil {
		return nil, err
	}
	return convert[api.InterveneInStep202JSONResponse](iv)
}

// ListSupervisionAlerts lists overdue alerts.
func (s *Server) ListSupervisionAlerts(ctx context.Context, r api.ListSupervisionAlertsRequestObject) (api.ListSupervisionAlertsResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	before, err := intCursor(r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := orZero(r.Params.Limit)
	as, err := svc.Alerts(ctx, "", before, limit)
	if err != nil {
		return nil, err
	}
	out := api.ListSupervisionAlerts200JSONResponse{}
	if out.Items, err = convert[[]api.SupervisionAlert](as); err != nil {
		return nil, err
	}
	out.Next = nextPage(len(as), limit, supervision.DefaultLimit, func() string { return strconv.FormatInt(as[len(as)-1].ID, 10) })
	return out, nil
}

// ListRegulators returns the regulators that have a remit.
func (s *Server) ListRegulators(ctx context.Context, _ api.ListRegulatorsRequestObject) (api.ListRegulatorsResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	rs, err := svc.Remits(ctx)
	if err != nil {
		return nil, err
	}
	out := api.ListRegulators200JSONResponse{}
	if out.Items, err = convert[[]api.RegulatorRemit](rs); err != nil {
		return nil, err
	}
	return out, nil
}

// GetRegulatorRemit returns a regulator's remit.
func (s *Server) GetRegulatorRemit(ctx context.Context, r api.GetRegulatorRemitRequestObject) (api.GetRegulatorRemitResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	rm, err := svc.Remit(ctx, r.RegulatorId)
	if err != nil {
		return nil, err
	}
	return convert[api.GetRegulatorRemit200JSONResponse](rm)
}

// SetRegulatorRemit replaces a regulator's remit.
func (s *Server) SetRegulatorRemit(ctx context.Context, r api.SetRegulatorRemitRequestObject) (api.SetRegulatorRemitResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	rm, err := svc.SetRemit(ctx, supervision.Remit{Regulator: r.RegulatorId, Departments: orZero(r.Body.Departments), AssetTypes: orZero(r.Body.AssetTypes)})
	if err != nil {
		return nil, err
	}
	return convert[api.SetRegulatorRemit200JSONResponse](rm)
}

// ListRegulatedAssets lists the assets in a regulator's remit.
func (s *Server) ListRegulatedAssets(ctx context.Context, r api.ListRegulatedAssetsRequestObject) (api.ListRegulatedAssetsResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	f := supervision.AssetFilter{Type: orZero(r.Params.Type), Before: orZero(r.Params.Cursor), Limit: orZero(r.Params.Limit)}
	as, err := svc.RegulatedAssets(ctx, s.regulatorAudit(), r.RegulatorId, f)
	if err != nil {
		return nil, err
	}
	out := api.ListRegulatedAssets200JSONResponse{}
	if out.Items, err = convert[[]api.RegulatedAsset](as); err != nil {
		return nil, err
	}
	out.Next = nextPage(len(as), f.Limit, supervision.DefaultLimit, func() string { return as[len(as)-1].CreatedAt.Format(time.RFC3339Nano) })
	return out, nil
}

// ListRegulatedTransactions lists the transactions in a regulator's remit.
func (s *Server) ListRegulatedTransactions(ctx context.Context, r api.ListRegulatedTransactionsRequestObject) (api.ListRegulatedTransactionsResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	before, err := intCursor(r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := orZero(r.Params.Limit)
	txs, err := svc.RegulatedTransactions(ctx, s.regulatorAudit(), r.RegulatorId, before, limit)
	if err != nil {
		return nil, err
	}
	out := api.ListRegulatedTransactions200JSONResponse{}
	if out.Items, err = convert[[]api.RegulatedTransaction](txs); err != nil {
		return nil, err
	}
	out.Next = nextPage(len(txs), limit, supervision.DefaultLimit, func() string { return strconv.FormatInt(txs[len(txs)-1].BlockNumber, 10) })
	return out, nil
}

// InspectRegulatedAsset reads an asset in the remit and records the read.
func (s *Server) InspectRegulatedAsset(ctx context.Context, r api.InspectRegulatedAssetRequestObject) (api.InspectRegulatedAssetResponseObject, error) {
	svc, err := s.supervisionService()
	if err != nil {
		return nil, err
	}
	ins, err := svc.Inspect(ctx, s.regulatorAudit(), supervision.InspectInput{
		Regulator: r.RegulatorId, Asset: r.AssetId, Reason: r.Body.Reason, Password: orZero(r.Body.Password)})
	if err != nil {
		return nil, err
	}
	return convert[api.InspectRegulatedAsset200JSONResponse](ins)
}

// --- monitoring ---

func (s *Server) monitoringService() (*monitoring.Service, error) {
	if s.oversight.Monitoring == nil {
		return nil, errMonitoringOff
	}
	return s.oversight.Monitoring, nil
}

// monitoringRange is the range of a monitoring query: default the last 24
// hours in hourly buckets.
func monitoringRange(from, to *time.Time, bucket *int) monitoring.Range {
	r := monitoring.Range{To: time.Now().UTC(), Bucket: time.Hour}
	if to != nil {
		r.To = *to
	}
	r.From = r.To.Add(-24 * time.Hour)
	if from != nil {
		r.From = *from
	}
	if bucket != nil {
		r.Bucket = time.Duration(*bucket) * time.Second
	}
	return r
}

// GetNodeStatus probes every configured node.
func (s *Server) GetNodeStatus(ctx context.Context, _ api.GetNodeStatusRequestObject) (api.GetNodeStatusResponseObject, error) {
	svc, err := s.monitoringService()
	if err != nil {
		return nil, err
	}
	ns, err := svc.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	out := api.GetNodeStatus200JSONResponse{}
	out.Items, err = convert[[]api.MonitoredNode](ns)
	return out, err
}

// GetTransactionSeries returns transactions over time.
func (s *Server) GetTransactionSeries(ctx context.Context, r api.GetTransactionSeriesRequestObject) (api.GetTransactionSeriesResponseObject, error) {
	svc, err := s.monitoringService()
	if err != nil {
		return nil, err
	}
	series, err := svc.Transactions(ctx, monitoringRange(r.Params.From, r.Params.To, r.Params.Bucket))
	if err != nil {
		return nil, err
	}
	out := api.GetTransactionSeries200JSONResponse{}
	out.Items, err = convert[[]api.MonitoringSeries](series)
	return out, err
}

// GetAccountMonitoring returns accounts by type and trend.
func (s *Server) GetAccountMonitoring(ctx context.Context, r api.GetAccountMonitoringRequestObject) (api.GetAccountMonitoringResponseObject, error) {
	svc, err := s.monitoringService()
	if err != nil {
		return nil, err
	}
	a, err := svc.Accounts(ctx, monitoringRange(r.Params.From, r.Params.To, r.Params.Bucket))
	if err != nil {
		return nil, err
	}
	return convert[api.GetAccountMonitoring200JSONResponse](a)
}

// GetAssetMonitoring returns asset totals, increments and activity.
func (s *Server) GetAssetMonitoring(ctx context.Context, r api.GetAssetMonitoringRequestObject) (api.GetAssetMonitoringResponseObject, error) {
	svc, err := s.monitoringService()
	if err != nil {
		return nil, err
	}
	a, err := svc.Assets(ctx, monitoringRange(r.Params.From, r.Params.To, r.Params.Bucket))
	if err != nil {
		return nil, err
	}
	return convert[api.GetAssetMonitoring200JSONResponse](a)
}

// ListMonitoringAlerts lists alerts.
func (s *Server) ListMonitoringAlerts(ctx context.Context, r api.ListMonitoringAlertsRequestObject) (api.ListMonitoringAlertsResponseObject, error) {
	svc, err := s.monitoringService()
	if err != nil {
		return nil, err
	}
	before, err := intCursor(r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := orZero(r.Params.Limit)
	as, err := svc.Alerts(ctx, orZero(r.Params.Open), before, limit)
	if err != nil {
		return nil, err
	}
	out := api.ListMonitoringAlerts200JSONResponse{}
	if out.Items, err = convert[[]api.MonitoringAlert](as); err != nil {
		return nil, err
	}
	out.Next = nextPage(len(as), limit, monitoring.DefaultLimit, func() string { return strconv.FormatInt(as[len(as)-1].ID, 10) })
	return out, nil
}
