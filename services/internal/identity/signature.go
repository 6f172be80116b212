package identity

import (
	"context"
	"crypto/hmac"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/jackc/pgx/v5"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// Signed requests. A department system signs each request with its API key:
//
//	X-Kaiban-Key-ID:    the credential ID ("kbk_…")
//	X-Kaiban-Date:      Unix seconds; within SignatureWindow of the server's clock
//	X-Kaiban-Nonce:     16-64 characters [A-Za-z0-9_-], never reused within the window
//	X-Kaiban-Signature: base64 of HMAC-SM3(secret, S) or of the DER SM2 signature of S
//
// where S, the string to sign, is
//
//	KAIBAN-SIG-V1 \n key ID \n METHOD \n escaped path \n raw query \n timestamp \n nonce \n hex SM3(body)
//
// The body digest binds the content, the timestamp bounds how long a
// captured request is worth anything, and the nonce — stored in PostgreSQL
// until the window has passed, in a table every process shares — makes it
// worth nothing twice.

// Signature headers.
const (
	HeaderKey       = "X-Kaiban-Key-ID"
	HeaderTimestamp = "X-Kaiban-Date"
	HeaderNonce     = "X-Kaiban-Nonce"
	HeaderSignature = "X-Kaiban-Signature"
)

// SignedRequest is what the server read from a signed request.
type SignedRequest struct {
	KeyID     string
	Timestamp string
	Nonce     string
	Signature string // base64
	Method    string
	Path      string // escaped, as sent
	RawQuery  string
	Body      []byte
}

var nonceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// StringToSign returns S for r.
func StringToSign(r SignedRequest) []byte {
	return []byte("KAIBAN-SIG-V1\n" + r.KeyID + "\n" + r.Method + "\n" + r.Path + "\n" + r.RawQuery + "\n" +
		r.Timestamp + "\n" + r.Nonce + "\n" + gm.Hex(r.Body))
}

// Signer signs a string to sign.
type Signer func(msg []byte) ([]byte, error)

// HMACSigner signs with an hmac-sm3 credential's secret.
func HMACSigner(secret []byte) Signer {
	return func(msg []byte) ([]byte, error) { return gm.HMAC(secret, msg), nil }
}

// SM2Signer signs with the private key of an sm2 credential.
func SM2Signer(priv *sm2.PrivateKey) Signer {
	return func(msg []byte) ([]byte, error) { return gm.Sign(priv, msg) }
}

// SignRequest sets the signature headers on req, whose body is body, for
// credential keyID at time now. Department systems (and the SDK) call it.
func SignRequest(req *http.Request, body []byte, keyID string, sign Signer, now time.Time) error {
	nonce, err := randomString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24)
	if err != nil {
		return err
	}
	r := SignedRequest{KeyID: keyID, Timestamp: strconv.FormatInt(now.Unix(), 10), Nonce: nonce,
		Method: req.Method, Path: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery, Body: body}
	sig, err := sign(StringToSign(r))
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	req.Header.Set(HeaderKey, keyID)
	req.Header.Set(HeaderTimestamp, r.Timestamp)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// AuthenticateSigned checks a signed request and returns the client behind
// it: ErrStaleRequest for a timestamp outside the window, ErrReplay for a
// nonce already seen, ErrUnauthenticated for anything else wrong (unknown,
// revoked or expired key, client not approved, bad signature).
func (s *Service) AuthenticateSigned(ctx context.Context, r SignedRequest) (*Principal, error) {
	if !nonceRE.MatchString(r.Nonce) || len(r.KeyID) > 64 || len(r.Signature) > 256 {
		return nil, ErrUnauthenticated
	}
	ts, err := strconv.ParseInt(r.Timestamp, 10, 64)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	now := s.now()
	if d := now.Sub(time.Unix(ts, 0)); d > s.cfg.SignatureWindow || d < -s.cfg.SignatureWindow {
		return nil, ErrStaleRequest
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	var (
		p        = &Principal{Kind: KindClient, CredentialID: r.KeyID}
		kind     string
		sealed   []byte
		pubPEM   *string
		notAfter *time.Time
		revoked  *time.Time
		status   string
	)
	err = s.db.QueryRow(ctx, `SELECT k.kind, k.secret_sealed, k.public_key, k.not_after, k.revoked_at,
		c.id, c.name, c.department_code, c.status,
		coalesce((SELECT array_agg(role ORDER BY role) FROM identity_client_roles WHERE client_id = c.id), '{}')
		FROM identity_credentials k JOIN identity_clients c ON c.id = k.client_id WHERE k.id = $1`, r.KeyID).
		Scan(&kind, &sealed, &pubPEM, &notAfter, &revoked, &p.ID, &p.Name, &p.Department, &status, &p.Roles)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate key %s: %w", r.KeyID, err)
	}
	if revoked != nil || status != ClientApproved || (notAfter != nil && !now.Before(*notAfter)) {
		return nil, ErrUnauthenticated
	}
	msg := StringToSign(r)
	switch kind {
	case CredentialHMAC:
		secret, err := gm.OpenGCM(s.sealKey, sealed, []byte("api-key\x00"+r.KeyID))
		if err != nil {
			return nil, fmt.Errorf("open secret of %s: %w", r.KeyID, err)
		}
		if !hmac.Equal(gm.HMAC(secret, msg), sig) {
			return nil, s.badSignature(ctx, p, r.KeyID)
		}
		p.Method = MethodHMAC
	case CredentialSM2:
		pub, err := gm.ParsePublicKeyPEM([]byte(*pubPEM))
		if err != nil || !gm.Verify(pub, msg, sig) {
			return nil, s.badSignature(ctx, p, r.KeyID)
		}
		p.Method = MethodSM2
	default:
		return nil, ErrUnauthenticated // an mtls credential does not sign
	}
	// The nonce is stored only for a valid signature, so that nobody fills
	// the table without a key.
	s.maybeSweep(ctx)
	tag, err := s.db.Exec(ctx, `INSERT INTO identity_nonces (credential_id, nonce, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, r.KeyID, r.Nonce, time.Unix(ts, 0).Add(2*s.cfg.SignatureWindow))
	if err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	if tag.RowsAffected() == 0 {
		s.record(ctx, s.event(p, "identity.request.replay", "credential:"+r.KeyID, audit.ResultDenied, nil))
		return nil, ErrReplay
	}
	return p, nil
}

func (s *Service) badSignature(ctx context.Context, p *Principal, keyID string) error {
	s.record(ctx, s.event(p, "identity.request.bad-signature", "credential:"+keyID, audit.ResultFailed, nil))
	return ErrUnauthenticated
}

// AuthenticateCertificate returns the client whose pinned certificate cert
// is (the leaf a TLS client presented): ErrUnauthenticated for an unknown,
// revoked, expired or not-yet-valid certificate, or a client not approved.
// The TLS handshake has already proved possession of the certificate's key.
func (s *Service) AuthenticateCertificate(ctx context.Context, cert *x509.Certificate) (*Principal, error) {
	if cert == nil {
		return nil, ErrUnauthenticated
	}
	now := s.now()
	if now.Before(cert.NotBefore) || !now.Before(cert.NotAfter) {
		return nil, ErrUnauthenticated
	}
	p := &Principal{Kind: KindClient, Method: MethodMTLS}
	var revoked *time.Time
	var status string
	err := s.db.QueryRow(ctx, `SELECT k.id, k.revoked_at, c.id, c.name, c.department_code, c.status,
		coalesce((SELECT array_agg(role ORDER BY role) FROM identity_client_roles WHERE client_id = c.id), '{}')
		FROM identity_credentials k JOIN identity_clients c ON c.id = k.client_id
		WHERE k.kind = 'mtls' AND k.fingerprint = $1`, CertificateFingerprint(cert.Raw)).
		Scan(&p.CredentialID, &revoked, &p.ID, &p.Name, &p.Department, &status, &p.Roles)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate certificate: %w", err)
	}
	if revoked != nil || status != ClientApproved {
		return nil, ErrUnauthenticated
	}
	return p, nil
}
