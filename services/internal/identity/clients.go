package identity

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// API clients are the department business systems of clause 7.7 and the
// ISVs that build them (Annex A.3): an ISV applies for access (ApplyClient),
// the security administrator reviews the application and decides which roles
// the system gets (ReviewClient), credentials are issued to an approved
// client (IssueAPIKey for a signing key, RegisterCertificate for an mTLS
// certificate), and a credential or the whole client can be revoked.

// Client statuses.
const (
	ClientPending  = "pending"
	ClientApproved = "approved"
	ClientRejected = "rejected"
	ClientRevoked  = "revoked"
)

// Credential kinds.
const (
	CredentialHMAC = "hmac-sm3" // shared secret, HMAC-SM3 request signatures
	CredentialSM2  = "sm2"      // the client's SM2 public key, SM2 request signatures
	CredentialMTLS = "mtls"     // a pinned TLS client certificate
)

// Client is a registered department system.
type Client struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Department  string       `json:"department"`
	Vendor      string       `json:"vendor"`
	Purpose     string       `json:"purpose"`
	Status      string       `json:"status"`
	Roles       []string     `json:"roles"`
	AppliedBy   *string      `json:"appliedBy,omitempty"`
	AppliedAt   time.Time    `json:"appliedAt"`
	ReviewedBy  *string      `json:"reviewedBy,omitempty"`
	ReviewedAt  *time.Time   `json:"reviewedAt,omitempty"`
	ReviewNote  string       `json:"reviewNote"`
	Credentials []Credential `json:"credentials"`
}

// Credential is one way a client authenticates. Secrets are never listed.
type Credential struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Fingerprint string     `json:"fingerprint,omitempty"` // mtls: SM3 of the certificate
	NotAfter    *time.Time `json:"notAfter,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	RevokedAt   *time.Time `json:"revokedAt,omitempty"`
}

// ClientApplication is an ISV's request for access.
type ClientApplication struct {
	Name       string `json:"name"`
	Department string `json:"department"`
	Vendor     string `json:"vendor"`
	Purpose    string `json:"purpose"`
}

// ApplyClient records an application for API access (A.3). A department's
// staff may apply only for their own department; the operator's for any.
func (s *Service) ApplyClient(ctx context.Context, actor *Principal, a ClientApplication) (Client, error) {
	if err := checkTitle("name", a.Name); err != nil {
		return Client{}, err
	}
	if len(a.Vendor) > 200 {
		return Client{}, invalid("vendor", "at most 200 characters")
	}
	if n := len([]rune(strings.TrimSpace(a.Purpose))); n < 1 || n > 2000 {
		return Client{}, invalid("purpose", "must have 1 to 2000 characters")
	}
	if actor != nil && actor.Department != a.Department && !s.isOperator(ctx, actor.Department) {
		return Client{}, invalid("department", "you may apply only for your own department")
	}
	var id string
	err := s.db.QueryRow(ctx, `INSERT INTO identity_clients (name, department_code, vendor, purpose, status, applied_by)
		VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id`, strings.TrimSpace(a.Name), a.Department, strings.TrimSpace(a.Vendor),
		strings.TrimSpace(a.Purpose), actorUserID(actor)).Scan(&id)
	if isForeignKey(err) {
		return Client{}, invalid("department", "no department %q", a.Department)
	}
	if err != nil {
		return Client{}, fmt.Errorf("apply for client: %w", err)
	}
	if err := s.record(ctx, s.event(actor, "identity.client.apply", "client:"+id, audit.ResultOK, nil)); err != nil {
		return Client{}, err
	}
	return s.GetClient(ctx, id)
}

func (s *Service) isOperator(ctx context.Context, dept string) bool {
	var kind string
	s.db.QueryRow(ctx, "SELECT kind FROM identity_departments WHERE code = $1", dept).Scan(&kind)
	return kind == DeptKindOperator
}

// Review is the decision on an application: approve with the roles the
// system gets, or reject; the note says why.
type Review struct {
	Approve bool     `json:"approve"`
	Roles   []string `json:"roles"`
	Note    string   `json:"note"`
}

// ReviewClient approves or rejects a pending application. An approved client
// gets business roles only: an administrator role belongs to a person.
func (s *Service) ReviewClient(ctx context.Context, actor *Principal, id string, r Review) (Client, error) {
	if !isUUID(id) {
		return Client{}, fmt.Errorf("client %q: %w", id, ErrNotFound)
	}
	if len(r.Note) > 2000 {
		return Client{}, invalid("note", "at most 2000 characters")
	}
	r.Roles = sortedUnique(r.Roles)
	if r.Approve && len(r.Roles) == 0 {
		return Client{}, invalid("roles", "an approved client needs at least one role")
	}
	if !r.Approve && len(r.Roles) > 0 {
		return Client{}, invalid("roles", "a rejected client gets no roles")
	}
	for _, role := range r.Roles {
		if slices.Contains(AdminRoles, role) {
			return Client{}, invalid("roles", "%s is an administrator role and cannot be given to a system", role)
		}
	}
	status := ClientRejected
	if r.Approve {
		status = ClientApproved
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var cur string
		err := tx.QueryRow(ctx, "SELECT status FROM identity_clients WHERE id = $1 FOR UPDATE", id).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("client %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if cur != ClientPending {
			return fmt.Errorf("client %s is %s, not pending: %w", id, cur, ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE identity_clients SET status = $2, reviewed_by = $3, reviewed_at = $4, review_note = $5
			WHERE id = $1`, id, status, actorUserID(actor), s.now(), strings.TrimSpace(r.Note)); err != nil {
			return err
		}
		for _, role := range r.Roles {
			_, err := tx.Exec(ctx, "INSERT INTO identity_client_roles (client_id, role) VALUES ($1, $2)", id, role)
			if isForeignKey(err) {
				return invalid("roles", "no role %q", role)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Client{}, err
	}
	if err := s.record(ctx, s.event(actor, "identity.client.review", "client:"+id, audit.ResultOK, map[string]any{"status": status, "roles": r.Roles})); err != nil {
		return Client{}, err
	}
	return s.GetClient(ctx, id)
}

// IssuedCredential is a new credential with its secret, shown once.
type IssuedCredential struct {
	Credential
	ClientID string `json:"clientId"`
	// Secret is the HMAC-SM3 key (base64) of an hmac-sm3 credential; empty
	// for the other kinds, whose secret the client keeps.
	Secret string `json:"secret,omitempty"`
}

// IssueAPIKey issues a signing credential to an approved client: for kind
// hmac-sm3 a new 32-byte secret (returned once, stored SM4-GCM sealed), for
// kind sm2 the client's own SM2 public key (PEM), whose private key never
// leaves the client. notAfter (zero for none) ends its validity.
func (s *Service) IssueAPIKey(ctx context.Context, actor *Principal, clientID, kind, publicKeyPEM string, notAfter time.Time) (IssuedCredential, error) {
	keyID, err := newKeyID()
	if err != nil {
		return IssuedCredential{}, err
	}
	out := IssuedCredential{ClientID: clientID, Credential: Credential{ID: keyID, Kind: kind}}
	var sealed []byte
	var pub *string
	switch kind {
	case CredentialHMAC:
		if publicKeyPEM != "" {
			return IssuedCredential{}, invalid("publicKey", "only for kind sm2")
		}
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return IssuedCredential{}, err
		}
		if sealed, err = gm.SealGCM(s.sealKey, secret, []byte("api-key\x00"+keyID)); err != nil {
			return IssuedCredential{}, err
		}
		out.Secret = base64.StdEncoding.EncodeToString(secret)
	case CredentialSM2:
		if _, err := gm.ParsePublicKeyPEM([]byte(publicKeyPEM)); err != nil {
			return IssuedCredential{}, invalid("publicKey", "not an SM2 public key in PEM: %v", err)
		}
		pub = &publicKeyPEM
	default:
		return IssuedCredential{}, invalid("kind", "must be %s or %s", CredentialHMAC, CredentialSM2)
	}
	if err := s.insertCredential(ctx, actor, clientID, &out.Credential, sealed, pub, nil, notAfter); err != nil {
		return IssuedCredential{}, err
	}
	return out, nil
}

// RegisterCertificate pins a TLS client certificate (PEM) for an approved
// client: requests presenting it over mTLS authenticate as the client. The
// pin is the SM3 digest of the certificate's DER, so a certificate re-issued
// by the same CA for the same name does not pass until it is registered.
func (s *Service) RegisterCertificate(ctx context.Context, actor *Principal, clientID, certPEM string) (Credential, error) {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return Credential{}, invalid("certificate", "not a PEM certificate")
	}
	var notAfter time.Time
	if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
		notAfter = cert.NotAfter
	} else if cert, err := gm.ParseCertificatePEM([]byte(certPEM)); err == nil {
		notAfter = cert.NotAfter
	} else {
		return Credential{}, invalid("certificate", "cannot be parsed: %v", err)
	}
	if !s.now().Before(notAfter) {
		return Credential{}, invalid("certificate", "expired on %s", notAfter.Format(time.RFC3339))
	}
	keyID, err := newKeyID()
	if err != nil {
		return Credential{}, err
	}
	c := Credential{ID: keyID, Kind: CredentialMTLS, Fingerprint: CertificateFingerprint(block.Bytes)}
	if err := s.insertCredential(ctx, actor, clientID, &c, nil, nil, &c.Fingerprint, notAfter); err != nil {
		return Credential{}, err
	}
	return c, nil
}

// CertificateFingerprint is the pin of a DER certificate: its SM3 digest, hex.
func CertificateFingerprint(der []byte) string { return gm.Hex(der) }

func (s *Service) insertCredential(ctx context.Context, actor *Principal, clientID string, c *Credential, sealed []byte, pub, fp *string, notAfter time.Time) error {
	if !isUUID(clientID) {
		return fmt.Errorf("client %q: %w", clientID, ErrNotFound)
	}
	var na *time.Time
	if !notAfter.IsZero() {
		if !notAfter.After(s.now()) {
			return invalid("notAfter", "must be in the future")
		}
		t := notAfter.UTC().Truncate(time.Microsecond)
		na, c.NotAfter = &t, &t
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, "SELECT status FROM identity_clients WHERE id = $1 FOR SHARE", clientID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("client %s: %w", clientID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status != ClientApproved {
			return fmt.Errorf("client %s is %s; credentials go to approved clients: %w", clientID, status, ErrConflict)
		}
		err = tx.QueryRow(ctx, `INSERT INTO identity_credentials (id, client_id, kind, secret_sealed, public_key, fingerprint, not_after, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`, c.ID, clientID, c.Kind, sealed, pub, fp, na, actorUserID(actor)).Scan(&c.CreatedAt)
		if isUnique(err) {
			return fmt.Errorf("certificate already registered: %w", ErrConflict)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.record(ctx, s.event(actor, "identity.credential.issue", "client:"+clientID, audit.ResultOK,
		map[string]any{"credential": c.ID, "kind": c.Kind}))
}

// RevokeCredential revokes one credential of a client, at once.
func (s *Service) RevokeCredential(ctx context.Context, actor *Principal, clientID, credentialID string) error {
	if !isUUID(clientID) {
		return fmt.Errorf("client %q: %w", clientID, ErrNotFound)
	}
	tag, err := s.db.Exec(ctx, `UPDATE identity_credentials SET revoked_at = $3 WHERE id = $1 AND client_id = $2 AND revoked_at IS NULL`,
		credentialID, clientID, s.now())
	if err != nil {
		return fmt.Errorf("revoke credential %s: %w", credentialID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("active credential %s of client %s: %w", credentialID, clientID, ErrNotFound)
	}
	return s.record(ctx, s.event(actor, "identity.credential.revoke", "client:"+clientID, audit.ResultOK, map[string]any{"credential": credentialID}))
}

// RevokeClient revokes a client and all its credentials.
func (s *Service) RevokeClient(ctx context.Context, actor *Principal, clientID, note string) error {
	if !isUUID(clientID) {
		return fmt.Errorf("client %q: %w", clientID, ErrNotFound)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE identity_clients SET status = 'revoked', review_note = CASE WHEN $2 = '' THEN review_note ELSE $2 END
			WHERE id = $1 AND status <> 'revoked'`, clientID, strings.TrimSpace(note))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("client %s (not already revoked): %w", clientID, ErrNotFound)
		}
		_, err = tx.Exec(ctx, "UPDATE identity_credentials SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL", clientID, s.now())
		return err
	})
	if err != nil {
		return err
	}
	return s.record(ctx, s.event(actor, "identity.client.revoke", "client:"+clientID, audit.ResultOK, nil))
}

// GetClient returns one client with its credentials.
func (s *Service) GetClient(ctx context.Context, id string) (Client, error) {
	if !isUUID(id) {
		return Client{}, fmt.Errorf("client %q: %w", id, ErrNotFound)
	}
	list, err := s.listClients(ctx, "c.id = $1", id)
	if err != nil {
		return Client{}, err
	}
	if len(list) == 0 {
		return Client{}, fmt.Errorf("client %s: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// ListClients returns clients, filtered by status when it is not empty.
func (s *Service) ListClients(ctx context.Context, status string) ([]Client, error) {
	switch status {
	case "", ClientPending, ClientApproved, ClientRejected, ClientRevoked:
	default:
		return nil, invalid("status", "must be pending, approved, rejected or revoked")
	}
	return s.listClients(ctx, "($1 = '' OR c.status = $1)", status)
}

func (s *Service) listClients(ctx context.Context, where string, arg any) ([]Client, error) {
	rows, err := s.db.Query(ctx, `SELECT c.id, c.name, c.department_code, c.vendor, c.purpose, c.status, c.applied_by::text,
		c.applied_at, c.reviewed_by::text, c.reviewed_at, c.review_note,
		coalesce((SELECT array_agg(role ORDER BY role) FROM identity_client_roles WHERE client_id = c.id), '{}')
		FROM identity_clients c WHERE `+where+` ORDER BY c.applied_at, c.id`, arg)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	clients, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Client, error) {
		var c Client
		err := r.Scan(&c.ID, &c.Name, &c.Department, &c.Vendor, &c.Purpose, &c.Status, &c.AppliedBy, &c.AppliedAt,
			&c.ReviewedBy, &c.ReviewedAt, &c.ReviewNote, &c.Roles)
		c.Credentials = []Credential{}
		return c, err
	})
	if err != nil || len(clients) == 0 {
		return clients, err
	}
	ids := make([]string, len(clients))
	index := map[string]int{}
	for i, c := range clients {
		ids[i], index[c.ID] = c.ID, i
	}
	crows, err := s.db.Query(ctx, `SELECT client_id::text, id, kind, coalesce(fingerprint, ''), not_after, created_at, revoked_at
		FROM identity_credentials WHERE client_id = ANY($1::uuid[]) ORDER BY created_at, id`, ids)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var cid string
		var c Credential
		if err := crows.Scan(&cid, &c.ID, &c.Kind, &c.Fingerprint, &c.NotAfter, &c.CreatedAt, &c.RevokedAt); err != nil {
			return nil, fmt.Errorf("list credentials: %w", err)
		}
		clients[index[cid]].Credentials = append(clients[index[cid]].Credentials, c)
	}
	return clients, crows.Err()
}

// newKeyID returns a credential ID: "kbk_" and 16 random bytes in hex.
func newKeyID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("key ID: %w", err)
	}
	return "kbk_" + hex.EncodeToString(b), nil
}
