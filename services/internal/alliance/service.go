package alliance

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// Service administers the alliance after it is founded (7.4.2 a, c, g;
// 7.4.3 e; 7.6.5): members apply, are reviewed, given operation permissions,
// suspended and reinstated; nodes are admitted and retired; asset types
// (the business contracts on chain) are defined, modified and abolished;
// chaincode versions go through the contract registry. Every change of the
// chain is a write in the chain outbox, so it reaches the chain exactly once
// after the request that asked for it; reads come from the ledger
// projection, which lags the chain by the time a block takes.
type Service struct {
	cfg Config
}

// Identities is what the service needs of the chain client: whether the
// gateway holds an organisation's admin identity (a new member applies as
// its own admin).
type Identities interface {
	Identities() []string
}

// Config configures a Service.
type Config struct {
	Pool   *pgxpool.Pool
	Outbox *outbox.Outbox
	Keys   Keys
	// Chain lists the identities the platform can submit as.
	Chain Identities
	// Governor is the chain identity that governs the consortium on the
	// platform's behalf: an admin of a member holding the member, node and
	// contract permissions ("OperatorMSP/Admin").
	Governor string
	// Configuration is the process's effective configuration with its
	// secrets masked (config.Config.MaskedJSON), shown to operators.
	Configuration json.RawMessage
	// Components are the versions of the parts outside this database that
	// the process knows (kaiban, the chain engine, the object store); the
	// service adds PostgreSQL's.
	Components []Component
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil || cfg.Outbox == nil || cfg.Keys == nil || cfg.Chain == nil || cfg.Governor == "" {
		return nil, errors.New("alliance: pool, outbox, keys, chain and governor are required")
	}
	return &Service{cfg: cfg}, nil
}

// Queued is a chain write the service enqueued.
type Queued struct {
	OutboxKey string `json:"outboxKey"`
}

func invalid(format string, args ...any) error {
	return model.Errorf(model.CodeInvalid, format, args...)
}

// enqueue queues fn of chaincode as identity. The idempotency key is the
// write's content, so repeating a request is a no-op.
func (s *Service) enqueue(ctx context.Context, identity, chaincode, fn, lane string, args ...string) (Queued, error) {
	sum := gm.Sum([]byte(identity + "\x00" + chaincode + "\x00" + fn + "\x00" + strings.Join(args, "\x00")))
	key := "alliance/" + fn + "/" + hex.EncodeToString(sum[:16])
	err := pgx.BeginFunc(ctx, s.cfg.Pool, func(tx pgx.Tx) error {
		_, err := s.cfg.Outbox.Enqueue(ctx, tx, outbox.Write{Key: key, Identity: identity, Chaincode: chaincode, Function: fn, Args: args, Lane: lane})
		return err
	})
	if err != nil {
		return Queued{}, fmt.Errorf("queue %s: %w", fn, err)
	}
	return Queued{OutboxKey: key}, nil
}

// Members lists the alliance members as projected, in ID order.
func (s *Service) Members(ctx context.Context) ([]model.Member, error) {
	return records[model.Member](ctx, s.cfg.Pool, `SELECT record FROM ledger_members ORDER BY id`)
}

// Member returns one member as projected.
func (s *Service) Member(ctx context.Context, id string) (*model.Member, error) {
	return record[model.Member](ctx, s.cfg.Pool, "member "+id, `SELECT record FROM ledger_members WHERE id = $1`, id)
}

// Application is a new member's admission application (准入申请).
type Application struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Kind       model.MemberKind `json:"kind"`
	Department string           `json:"department,omitempty"`
	// KeyPassword protects the member's SM2 key in the key service
	// (created when the member has none, unlocked otherwise).
	KeyPassword string `json:"keyPassword"`
}

var memberKinds = []model.MemberKind{model.MemberOperator, model.MemberDepartment, model.MemberInstitution, model.MemberRegulator}

// Apply files a member's admission application on chain: the member's SM2
// key comes from the key service (as Found does), the application is signed
// with it and submitted by the organisation's own admin identity, which the
// network must already hold (on Fabric, kaiban-net creates the
// organisation's MSP first). Bad input changes nothing, no key included.
func (s *Service) Apply(ctx context.Context, a Application) (Queued, error) {
	// The chain's own checks, without the key that does not exist yet.
	probe := model.MemberApplication{ID: a.ID, Name: a.Name, Kind: a.Kind, Department: a.Department, PublicKey: placeholderPEM}
	if err := probe.Validate(); err != nil {
		return Queued{}, err
	}
	if a.Kind == model.MemberDepartment && a.Department == "" {
		return Queued{}, invalid("department is required for a member of kind department")
	}
	if utf8.RuneCountInString(a.KeyPassword) < keys.MinPasswordLen {
		return Queued{}, invalid("keyPassword must have at least %d characters", keys.MinPasswordLen)
	}
	admin := a.ID + "/Admin"
	if !slices.Contains(s.cfg.Chain.Identities(), admin) {
		return Queued{}, invalid("organisation %s is not in this network (no identity %s): create its MSP first (kaiban-net member add)", a.ID, admin)
	}
	if m, err := s.Member(ctx, a.ID); err == nil && m.Status != model.StatusRejected {
		return Queued{}, model.Errorf(model.CodeConflict, "member %s is %s already", a.ID, m.Status)
	} else if err != nil && !errors.Is(err, model.ErrNotFound) {
		return Queued{}, err
	}
	owner := keys.Owner{Kind: keys.KindDepartment, ID: a.ID}
	if _, err := s.cfg.Keys.Generate(ctx, owner, a.KeyPassword); err != nil && !errors.Is(err, keys.ErrExists) {
		return Queued{}, fmt.Errorf("key of %s: %w", a.ID, err)
	}
	sk, err := s.cfg.Keys.Unlock(ctx, owner, a.KeyPassword)
	if err != nil {
		return Queued{}, fmt.Errorf("key of %s: %w", a.ID, err)
	}
	defer sk.Destroy()
	app, err := model.Canonical(&model.MemberApplication{ID: a.ID, Name: a.Name, Kind: a.Kind, Department: a.Department, PublicKey: sk.Key().PublicKeyPEM})
	if err != nil {
		return Queued{}, err
	}
	sig, err := sk.Sign(model.SigningMessage(subject.ActionApplyMember, app))
	if err != nil {
		return Queued{}, fmt.Errorf("sign %s's application: %w", a.ID, err)
	}
	return s.enqueue(ctx, admin, model.ChaincodeSubject, "ApplyMember", "alliance/member/"+a.ID, string(app), base64.StdEncoding.EncodeToString(sig))
}

// placeholderPEM lets an application be validated before its key exists.
const placeholderPEM = "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"

// Review approves (with permissions) or rejects a pending application.
func (s *Service) Review(ctx context.Context, r model.MemberReview) (Queued, error) {
	if err := r.Validate(); err != nil {
		return Queued{}, err
	}
	if !r.Approve && strings.TrimSpace(r.Note) == "" {
		return Queued{}, invalid("note: a rejection must give its reason")
	}
	if err := s.memberIn(ctx, r.Member, model.StatusPending); err != nil {
		return Queued{}, err
	}
	return s.governed(ctx, "ReviewMember", "alliance/member/"+r.Member, &r)
}

// SetPermissions replaces an admitted member's operation permissions
// (contract, node, subject, member management).
func (s *Service) SetPermissions(ctx context.Context, ch model.MemberChange) (Queued, error) {
	if err := ch.Validate(); err != nil {
		return Queued{}, err
	}
	if err := s.memberIn(ctx, ch.Member, model.StatusActive, model.StatusSuspended); err != nil {
		return Queued{}, err
	}
	if ch.Permissions == nil {
		ch.Permissions = []model.Permission{}
	}
	return s.governed(ctx, "SetMemberPermissions", "alliance/member/"+ch.Member, &ch)
}

// Suspend suspends an active member; Reinstate makes a suspended one active.
func (s *Service) Suspend(ctx context.Context, member, note string) (Queued, error) {
	return s.move(ctx, "SuspendMember", member, note, model.StatusActive)
}

// Reinstate makes a suspended member active again.
func (s *Service) Reinstate(ctx context.Context, member, note string) (Queued, error) {
	return s.move(ctx, "ReinstateMember", member, note, model.StatusSuspended)
}

func (s *Service) move(ctx context.Context, fn, member, note, from string) (Queued, error) {
	ch := model.MemberChange{Member: member, Note: note}
	if err := ch.Validate(); err != nil {
		return Queued{}, err
	}
	if err := s.memberIn(ctx, member, from); err != nil {
		return Queued{}, err
	}
	if fn == "SuspendMember" && strings.HasPrefix(s.cfg.Governor, member+"/") {
		return Queued{}, model.Errorf(model.CodeState, "member %s governs the alliance for this platform and cannot suspend itself", member)
	}
	return s.governed(ctx, fn, "alliance/member/"+member, &ch)
}

// memberIn checks, against the projection, that the member exists in one of
// the statuses; the chain checks again when the write lands.
func (s *Service) memberIn(ctx context.Context, id string, statuses ...string) error {
	m, err := s.Member(ctx, id)
	if err != nil {
		return err
	}
	if !slices.Contains(statuses, m.Status) {
		return model.Errorf(model.CodeState, "member %s is %s, not %s", id, m.Status, strings.Join(statuses, " or "))
	}
	return nil
}

// governed queues a subject-chaincode write by the governing identity with
// v canonically encoded as its one argument.
func (s *Service) governed(ctx context.Context, fn, lane string, v any) (Queued, error) {
	arg, err := model.Canonical(v)
	if err != nil {
		return Queued{}, err
	}
	return s.enqueue(ctx, s.cfg.Governor, model.ChaincodeSubject, fn, lane, string(arg))
}

// Nodes lists the nodes as projected, by member then ID.
func (s *Service) Nodes(ctx context.Context) ([]model.Node, error) {
	return records[model.Node](ctx, s.cfg.Pool, `SELECT record FROM ledger_nodes ORDER BY member, id`)
}

// AdmitNode admits a consensus, transaction, storage or chain-end node of an
// active member; its ID is model.NodeID(member, name).
func (s *Service) AdmitNode(ctx context.Context, a model.NodeAdmission) (Queued, string, error) {
	if err := a.Validate(); err != nil {
		return Queued{}, "", err
	}
	if err := s.memberIn(ctx, a.Member, model.StatusActive); err != nil {
		return Queued{}, "", err
	}
	id := model.NodeID(a.Member, a.Name)
	var status string
	err := s.cfg.Pool.QueryRow(ctx, `SELECT status FROM ledger_nodes WHERE id = $1`, id).Scan(&status)
	if err == nil && status == model.StatusActive {
		return Queued{}, "", model.Errorf(model.CodeConflict, "node %s of %s is active already", a.Name, a.Member)
	} else if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Queued{}, "", fmt.Errorf("node %s: %w", id, err)
	}
	q, err := s.governed(ctx, "AdmitNode", "alliance/node/"+id, &a)
	return q, id, err
}

// RetireNode retires an active node; note says why.
func (s *Service) RetireNode(ctx context.Context, r model.NodeRetirement) (Queued, error) {
	if err := r.Validate(); err != nil {
		return Queued{}, err
	}
	var status string
	err := s.cfg.Pool.QueryRow(ctx, `SELECT status FROM ledger_nodes WHERE id = $1`, r.Node).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return Queued{}, model.Errorf(model.CodeNotFound, "node %s not found", r.Node)
	} else if err != nil {
		return Queued{}, fmt.Errorf("node %s: %w", r.Node, err)
	}
	if status != model.StatusActive {
		return Queued{}, model.Errorf(model.CodeState, "node %s is %s, not active", r.Node, status)
	}
	return s.governed(ctx, "RetireNode", "alliance/node/"+r.Node, &r)
}

// AssetTypes lists the asset types (the business contracts on chain) as
// projected, abolished ones included.
func (s *Service) AssetTypes(ctx context.Context) ([]model.AssetType, error) {
	return records[model.AssetType](ctx, s.cfg.Pool, `SELECT record FROM ledger_asset_types ORDER BY code`)
}

// DefineAssetType defines a new asset type or modifies an active one. Its
// issuers and reviewers must be members of the alliance.
func (s *Service) DefineAssetType(ctx context.Context, d model.AssetTypeDefinition) (Queued, error) {
	if err := d.Validate(); err != nil {
		return Queued{}, err
	}
	var schema map[string]json.RawMessage
	if err := json.Unmarshal([]byte(d.Schema), &schema); err != nil {
		return Queued{}, invalid("schema is not a JSON object: %v", err)
	}
	for _, m := range append(slices.Clone(d.Issuers), d.Reviewers...) {
		if _, err := s.Member(ctx, m); err != nil {
			if errors.Is(err, model.ErrNotFound) {
				return Queued{}, invalid("%s is not a member of the alliance", m)
			}
			return Queued{}, err
		}
	}
	var status string
	err := s.cfg.Pool.QueryRow(ctx, `SELECT status FROM ledger_asset_types WHERE code = $1`, d.Code).Scan(&status)
	if err == nil && status != model.StatusActive {
		return Queued{}, model.Errorf(model.CodeState, "asset type %s is %s", d.Code, status)
	} else if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Queued{}, fmt.Errorf("asset type %s: %w", d.Code, err)
	}
	arg, err := model.Canonical(&d)
	if err != nil {
		return Queued{}, err
	}
	return s.enqueue(ctx, s.cfg.Governor, model.ChaincodeAsset, "DefineAssetType", "alliance/asset-type/"+d.Code, string(arg))
}

// AbolishAssetType abolishes an active asset type (7.6.5): no asset of it
// can be issued any more.
func (s *Service) AbolishAssetType(ctx context.Context, code, note string) (Queued, error) {
	if strings.TrimSpace(note) == "" || utf8.RuneCountInString(note) > 1000 {
		return Queued{}, invalid("note must say why, in at most 1000 characters")
	}
	var status string
	err := s.cfg.Pool.QueryRow(ctx, `SELECT status FROM ledger_asset_types WHERE code = $1`, code).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return Queued{}, model.Errorf(model.CodeNotFound, "asset type %s not found", code)
	} else if err != nil {
		return Queued{}, fmt.Errorf("asset type %s: %w", code, err)
	}
	if status != model.StatusActive {
		return Queued{}, model.Errorf(model.CodeState, "asset type %s is %s", code, status)
	}
	return s.enqueue(ctx, s.cfg.Governor, model.ChaincodeAsset, "AbolishAssetType", "alliance/asset-type/"+code, code, note)
}

var chaincodeName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

func records[T any](ctx context.Context, pool *pgxpool.Pool, query string, args ...any) ([]T, error) {
	rows, err := pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("alliance: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) {
		var raw []byte
		var v T
		if err := r.Scan(&raw); err != nil {
			return v, err
		}
		return v, json.Unmarshal(raw, &v)
	})
	if err != nil {
		return nil, fmt.Errorf("alliance: %w", err)
	}
	return out, nil
}

func record[T any](ctx context.Context, pool *pgxpool.Pool, what, query string, args ...any) (*T, error) {
	var raw []byte
	err := pool.QueryRow(ctx, query, args...).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, model.Errorf(model.CodeNotFound, "%s not found", what)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &v, nil
}
