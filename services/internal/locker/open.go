package locker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// ActionApplySubject is the action a new subject signs to open its locker.
const ActionApplySubject = model.ChaincodeSubject + ".ApplySubject"

// Enterprise is the enterprise basics of a locker opening (A.5 a).
type Enterprise struct {
	Name    string `json:"name"`
	USCC    string `json:"uscc,omitempty"`
	Type    string `json:"type,omitempty"`
	Address string `json:"address,omitempty"`
	Capital string `json:"capital,omitempty"`
}

// Person is a natural person: a legal representative, or the holder of a
// personal locker.
type Person struct {
	Name     string `json:"name"`
	IDNumber string `json:"idNumber"`
	Phone    string `json:"phone,omitempty"`
}

// OpenInput applies to open a locker (A.5 a): an enterprise's with its
// basics and legal representative, or a person's, accepted by a window clerk.
type OpenInput struct {
	Kind       model.SubjectKind `json:"kind"`
	Enterprise *Enterprise       `json:"enterprise,omitempty"`
	LegalRep   *Person           `json:"legalRepresentative,omitempty"`
	Person     *Person           `json:"person,omitempty"`
	// ClerkID is the window clerk who accepted the opening (A.5 a).
	ClerkID string `json:"clerkId"`
	// Password is the new locker's unlock password: it seals the subject's
	// new SM2 key (keys.Generate).
	Password string `json:"-"`
}

// Locker is a locker as the platform shows it, personal data masked.
type Locker struct {
	ID   string            `json:"id"`
	Kind model.SubjectKind `json:"kind"`
	// Status is the subject's status on chain (pending, active, rejected,
	// frozen), or "submitted" until the chain's answer is projected.
	Status       string    `json:"status"`
	Name         string    `json:"name"`
	LegalRepName string    `json:"legalRepresentativeName,omitempty"`
	LegalRepID   string    `json:"legalRepresentativeId,omitempty"`
	ClerkID      string    `json:"clerkId"`
	PublicKey    string    `json:"publicKey,omitempty"`
	ApplyWrite   string    `json:"applyWrite"`
	ReviewWrite  string    `json:"reviewWrite,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
}

// KeyService is what the locker needs of the key service besides wrapping;
// *keys.Service implements it.
type KeyService interface {
	KeyWrapper
	Generate(ctx context.Context, owner keys.Owner, password string) (keys.Key, error)
	Sign(ctx context.Context, owner keys.Owner, password string, msg []byte) (keys.Signature, error)
	Unwrap(ctx context.Context, owner keys.Owner, password, assetID string, w model.WrappedKey) ([]byte, error)
	Unlock(ctx context.Context, owner keys.Owner, password string) (*keys.SoftKey, error)
}

func (in *OpenInput) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("open locker: %s: %w", fmt.Sprintf(format, a...), ErrInvalid)
	}
	if in.Kind == "" {
		in.Kind = model.SubjectEnterprise
	}
	if err := keys.CheckNewPassword(in.Password); err != nil {
		return bad("unlock password: %v", err)
	}
	if !okText(in.ClerkID, 128) {
		return bad("clerkId is required")
	}
	switch in.Kind {
	case model.SubjectEnterprise, model.SubjectInstitution:
		if in.Enterprise == nil || !okText(in.Enterprise.Name, 200) {
			return bad("enterprise.name is required")
		}
		if in.LegalRep == nil || !okText(in.LegalRep.Name, 100) || !okIDNumber(in.LegalRep.IDNumber) {
			return bad("legalRepresentative needs a name and an 18-character resident ID number")
		}
		if in.Enterprise.USCC != "" && len(in.Enterprise.USCC) != 18 {
			return bad("enterprise.uscc must have 18 characters")
		}
	case model.SubjectPerson:
		if in.Person == nil || !okText(in.Person.Name, 100) || !okIDNumber(in.Person.IDNumber) {
			return bad("person needs a name and an 18-character resident ID number")
		}
	default:
		return bad("kind %q", in.Kind)
	}
	return nil
}

func okText(s string, max int) bool {
	s = strings.TrimSpace(s)
	return s != "" && utf8.RuneCountInString(s) <= max && utf8.ValidString(s)
}

// okIDNumber checks a GB 11643 resident ID number's form and check digit.
func okIDNumber(id string) bool {
	if len(id) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
		sum += int(id[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11] == strings.ToUpper(id[17:])[0]
}

// Open applies to open a locker (A.5 a): it generates the subject's SM2 key
// under the unlock password, commits to the identity data with salted SM3
// commitments (the data itself stays here, sealed), and enqueues the
// subject's signed ApplySubject, submitted by the gateway member. The locker
// is pending until a member with the subject permission reviews it.
func (s *Service) Open(ctx context.Context, in OpenInput) (*Locker, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if s.pii == nil || s.gateway == "" {
		return nil, errors.New("open locker: the service has no PII protector or gateway identity")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	salt, err := gm.NewSalt()
	if err != nil {
		return nil, err
	}
	var name, identity string
	var basics any
	commit := map[string]string{}
	if in.Kind == model.SubjectPerson {
		name, identity, basics = in.Person.Name, in.Person.IDNumber, in.Person
	} else {
		name, basics = in.Enterprise.Name, in.Enterprise
		identity = in.Enterprise.USCC
		if identity == "" {
			identity = in.Enterprise.Name
		}
		commit[model.CommitLegalRep] = gm.Commitment(salt, []byte(pii.Normalize(in.LegalRep.IDNumber)))
	}
	basicsJSON, err := json.Marshal(basics)
	if err != nil {
		return nil, err
	}
	commit[model.CommitIdentity] = gm.Commitment(salt, basicsJSON)
	commit[model.CommitAcceptor] = gm.Commitment(salt, []byte(in.ClerkID))
	id := model.SubjectID(in.Kind, commit[model.CommitIdentity])
	identityIndex := s.pii.Index("locker.identity", string(in.Kind)+":"+identity)
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM locker_lockers WHERE identity_index = $1)`, identityIndex).Scan(&exists); err != nil {
		return nil, fmt.Errorf("open locker: %w", err)
	}
	if exists {
		return nil, fmt.Errorf("open locker: a locker for this %s exists: %w", in.Kind, ErrConflict)
	}
	owner := keys.Owner{Kind: keys.KindSubject, ID: id}
	key, err := s.keys.Generate(ctx, owner, in.Password)
	if err != nil {
		return nil, fmt.Errorf("open locker: generate key: %w", keyErr(err))
	}
	app := model.SubjectApplication{Kind: in.Kind, Commitments: commit, PublicKey: key.PublicKeyPEM}
	canonical, err := model.Canonical(&app)
	if err != nil {
		return nil, err
	}
	sig, err := s.keys.Sign(ctx, owner, in.Password, model.SigningMessage(ActionApplySubject, canonical))
	if err != nil {
		return nil, fmt.Errorf("open locker: sign application: %w", keyErr(err))
	}
	l := &Locker{ID: id, Kind: in.Kind, Status: "submitted", Name: name, ClerkID: in.ClerkID,
		PublicKey: key.PublicKeyPEM, ApplyWrite: "locker/" + id + "/apply", CreatedAt: time.Now().UTC()}
	seal := func(field, v string) ([]byte, error) { return s.pii.Seal("locker_lockers."+field, id, v) }
	nameSealed, err := seal("name", name)
	if err != nil {
		return nil, err
	}
	basicsSealed, err := seal("basics", string(basicsJSON))
	if err != nil {
		return nil, err
	}
	var repName, repID []byte
	var repIndex *string
	if in.LegalRep != nil && in.Kind != model.SubjectPerson {
		if repName, err = seal("legal_rep_name", in.LegalRep.Name); err != nil {
			return nil, err
		}
		if repID, err = seal("legal_rep_id", in.LegalRep.IDNumber); err != nil {
			return nil, err
		}
		ix := s.pii.Index("locker.legal_rep_id", in.LegalRep.IDNumber)
		repIndex = &ix
		l.LegalRepName, l.LegalRepID = in.LegalRep.Name, in.LegalRep.IDNumber
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO locker_lockers (id, kind, salt, name_sealed, identity_index, basics_sealed,
			  legal_rep_name_sealed, legal_rep_id_sealed, legal_rep_id_index, clerk_id, gateway, apply_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			id, string(in.Kind), salt, nameSealed, identityIndex, basicsSealed, repName, repID, repIndex,
			in.ClerkID, s.gateway, l.ApplyWrite); err != nil {
			return err
		}
		_, err := s.outbox.Enqueue(ctx, tx, outbox.Write{
			Key: l.ApplyWrite, Identity: s.gateway, Chaincode: model.ChaincodeSubject, Function: "ApplySubject",
			Args: []string{string(canonical), keys.EncodeSignature(sig.Value)}, Lane: "subject/" + id,
		})
		return err
	})
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("open locker: a locker for this %s exists: %w", in.Kind, ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("open locker %s: %w", id, err)
	}
	l.mask()
	return l, nil
}

// ReviewInput decides a locker opening (A.5 b, 许可准入).
type ReviewInput struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note,omitempty"`
	// Reviewer is the platform user who decided, kept with the locker.
	Reviewer string `json:"-"`
}

// Review approves or rejects a locker opening: subject.ReviewSubject,
// submitted through the outbox by the reviewing member (one holding the
// subject permission), ordered after the application. An approved subject
// gets the transact permission.
func (s *Service) Review(ctx context.Context, id string, in ReviewInput) (*Locker, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if len(in.Note) > 1000 || !utf8.ValidString(in.Note) {
		return nil, fmt.Errorf("review locker: note too long: %w", ErrInvalid)
	}
	review := model.SubjectReview{Subject: id, Approve: in.Approve, Note: in.Note}
	if in.Approve {
		review.Permissions = []model.Permission{model.PermTransact}
	}
	if err := review.Validate(); err != nil {
		return nil, fmt.Errorf("review locker: %w: %v", ErrInvalid, err)
	}
	canonical, err := model.Canonical(&review)
	if err != nil {
		return nil, err
	}
	key := "locker/" + id + "/review"
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var prev *string
		if err := tx.QueryRow(ctx, `SELECT review_key FROM locker_lockers WHERE id = $1 FOR UPDATE`, id).Scan(&prev); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("locker %s: %w", id, ErrNotFound)
			}
			return err
		}
		if prev != nil {
			return fmt.Errorf("locker %s was reviewed already: %w", id, ErrState)
		}
		if _, err := tx.Exec(ctx, `UPDATE locker_lockers SET review_key = $2, reviewed_by = $3, review_note = $4 WHERE id = $1`,
			id, key, in.Reviewer, in.Note); err != nil {
			return err
		}
		_, err := s.outbox.Enqueue(ctx, tx, outbox.Write{
			Key: key, Identity: s.reviewer, Chaincode: model.ChaincodeSubject, Function: "ReviewSubject",
			Args: []string{string(canonical)}, Lane: "subject/" + id,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("review locker: %w", err)
	}
	return s.Get(ctx, id)
}

// Get returns a locker, personal data masked.
func (s *Service) Get(ctx context.Context, id string) (*Locker, error) {
	l := &Locker{ID: id}
	var kind string
	var nameSealed, repName, repID []byte
	var status, pub, review *string
	err := s.pool.QueryRow(ctx, `
		SELECT l.kind, l.name_sealed, l.legal_rep_name_sealed, l.legal_rep_id_sealed, l.clerk_id, l.apply_key,
		       l.review_key, l.created_at, s.status, s.record->>'publicKey'
		FROM locker_lockers l LEFT JOIN ledger_subjects s ON s.id = l.id WHERE l.id = $1`, id).
		Scan(&kind, &nameSealed, &repName, &repID, &l.ClerkID, &l.ApplyWrite, &review, &l.CreatedAt, &status, &pub)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("locker %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("locker %s: %w", id, err)
	}
	l.Kind = model.SubjectKind(kind)
	l.Status = "submitted"
	if status != nil {
		l.Status = *status
	}
	if pub != nil {
		l.PublicKey = *pub
	}
	if review != nil {
		l.ReviewWrite = *review
	}
	open := func(field string, c []byte) (string, error) {
		if c == nil {
			return "", nil
		}
		return s.pii.Open("locker_lockers."+field, id, c)
	}
	if l.Name, err = open("name", nameSealed); err != nil {
		return nil, err
	}
	if l.LegalRepName, err = open("legal_rep_name", repName); err != nil {
		return nil, err
	}
	if l.LegalRepID, err = open("legal_rep_id", repID); err != nil {
		return nil, err
	}
	l.mask()
	return l, nil
}

func (l *Locker) mask() {
	if l.Kind == model.SubjectPerson {
		l.Name = pii.MaskName(l.Name)
	}
	if l.LegalRepName != "" {
		l.LegalRepName = pii.MaskName(l.LegalRepName)
	}
	if l.LegalRepID != "" {
		l.LegalRepID = pii.MaskIDNumber(l.LegalRepID)
	}
}

func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}
