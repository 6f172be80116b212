package model

import "regexp"

// GrantKind distinguishes authorization (授权, 7.4.4 b) from delegation
// (委托, 7.4.4 c). Both let the grantee view or use the grantor's asset and
// may push it into the grantee's locker; a delegate additionally acts on the
// delegator's behalf, for example presenting the asset in an application.
type GrantKind string

// Grant kinds.
const (
	KindAuthorization GrantKind = "authorization"
	KindDelegation    GrantKind = "delegation"
)

// Scope is what a grant allows.
type Scope string

// Scopes.
const (
	ScopeView Scope = "view" // read the content
	ScopeUse  Scope = "use"  // read it and present it to third parties
)

// Grant statuses, shared by authorization codes.
const (
	GrantActive  = "active"
	GrantRevoked = "revoked"
)

// Grant is an authorization or delegation of one asset to one grantee, who is
// a subject (its ID) or a member (its MSP ID). It keeps every field of the
// GrantRequest, Nonce included, so the grantor's signature can be checked
// from the record alone.
type Grant struct {
	ID               string      `json:"id"`
	Kind             GrantKind   `json:"kind"`
	Asset            string      `json:"asset"`
	Grantor          string      `json:"grantor"`
	Grantee          string      `json:"grantee"`
	Scope            Scope       `json:"scope"`
	Purpose          string      `json:"purpose"`
	ExpiresAt        string      `json:"expiresAt"`
	Push             bool        `json:"push"`
	GranteeKey       *WrappedKey `json:"granteeKey,omitempty" metadata:",optional"`
	Request          string      `json:"request,omitempty" metadata:",optional"`
	Nonce            string      `json:"nonce"`
	GrantorSignature string      `json:"grantorSignature"`
	Status           string      `json:"status"`
	Note             string      `json:"note,omitempty" metadata:",optional"`
	CreatedAt        string      `json:"createdAt"`
	CreatedTx        string      `json:"createdTx"`
	UpdatedAt        string      `json:"updatedAt"`
	UpdatedTx        string      `json:"updatedTx"`
}

// GrantID derives a grant's ID. Nonce lets a grantor grant the same asset to
// the same grantee again after a revocation.
func GrantID(kind GrantKind, asset, grantee, nonce string) string {
	return DeriveID("grant", string(kind), asset, grantee, nonce)
}

// GrantRequest creates a grant. It is signed by the grantor (the asset's
// owner). With Push the asset appears in the grantee's locker; GranteeKey
// then carries the data key wrapped for the grantee. Request, when set, is the
// access request this grant answers.
type GrantRequest struct {
	Kind       GrantKind   `json:"kind"`
	Asset      string      `json:"asset"`
	Grantor    string      `json:"grantor"`
	Grantee    string      `json:"grantee"`
	Scope      Scope       `json:"scope"`
	Purpose    string      `json:"purpose"`
	ExpiresAt  string      `json:"expiresAt"`
	Push       bool        `json:"push,omitempty"`
	GranteeKey *WrappedKey `json:"granteeKey,omitempty"`
	Request    string      `json:"request,omitempty"`
	Nonce      string      `json:"nonce"`
}

// Validate checks the request's fields.
func (g *GrantRequest) Validate() error {
	var c checks
	oneOf(&c, "kind", g.Kind, KindAuthorization, KindDelegation)
	c.hexID("asset", g.Asset)
	c.hexID("grantor", g.Grantor)
	c.id("grantee", g.Grantee)
	if g.Grantee == g.Grantor {
		c.fail("grantor and grantee must differ")
	}
	oneOf(&c, "scope", g.Scope, ScopeView, ScopeUse)
	c.text("purpose", g.Purpose, true)
	c.time("expiresAt", g.ExpiresAt, true)
	if g.GranteeKey != nil {
		g.GranteeKey.check(&c)
		if g.GranteeKey.Recipient != g.Grantee && c.err == nil {
			c.fail("granteeKey must be wrapped for the grantee")
		}
	}
	if g.Push && g.GranteeKey == nil {
		c.fail("pushing into the grantee's locker needs granteeKey")
	}
	if g.Request != "" {
		c.hexID("request", g.Request)
	}
	c.id("nonce", g.Nonce)
	return c.err
}

// GrantRevocation revokes a grant, signed by the grantor.
type GrantRevocation struct {
	Grant string `json:"grant"`
	Note  string `json:"note"`
}

// Validate checks the revocation's fields.
func (r *GrantRevocation) Validate() error {
	var c checks
	c.hexID("grant", r.Grant)
	c.text("note", r.Note, true)
	return c.err
}

// AuthCode is an authorization code (授权码, 7.4.4 d 3, 4) for one asset: a
// bearer secret that the owner hands out off chain. Only a salted SM3 hash is
// kept; the code itself travels in transient data, never in a transaction.
type AuthCode struct {
	ID             string `json:"id"`
	Asset          string `json:"asset"`
	Owner          string `json:"owner"`
	Scope          Scope  `json:"scope"`
	Purpose        string `json:"purpose"`
	Salt           string `json:"salt"`
	Hash           string `json:"hash"`
	ExpiresAt      string `json:"expiresAt"`
	OwnerSignature string `json:"ownerSignature"`
	Status         string `json:"status"`
	Note           string `json:"note,omitempty" metadata:",optional"`
	CreatedAt      string `json:"createdAt"`
	CreatedTx      string `json:"createdTx"`
	UpdatedAt      string `json:"updatedAt"`
	UpdatedTx      string `json:"updatedTx"`
}

// AuthCodeIssue registers an authorization code's salted hash, signed by the
// asset's owner. Hash is hex SM3(salt || code) with salt hex-encoded here.
type AuthCodeIssue struct {
	Asset     string `json:"asset"`
	Owner     string `json:"owner"`
	Scope     Scope  `json:"scope"`
	Purpose   string `json:"purpose"`
	Salt      string `json:"salt"`
	Hash      string `json:"hash"`
	ExpiresAt string `json:"expiresAt"`
}

// Validate checks the issue's fields.
func (a *AuthCodeIssue) Validate() error {
	var c checks
	c.hexID("asset", a.Asset)
	c.hexID("owner", a.Owner)
	oneOf(&c, "scope", a.Scope, ScopeView, ScopeUse)
	c.text("purpose", a.Purpose, true)
	if len(a.Salt) < 32 || len(a.Salt) > 128 || len(a.Salt)%2 != 0 || !lowerHexPattern.MatchString(a.Salt) {
		c.fail("salt must be at least 16 random bytes, hex-encoded")
	}
	c.digest("hash", a.Hash)
	c.time("expiresAt", a.ExpiresAt, true)
	return c.err
}

// lowerHexPattern matches lower-case hex of any length, for salts.
var lowerHexPattern = regexp.MustCompile(`^[0-9a-f]*$`)

// AuthCodeRevocation is what the owner signs to revoke an authorization code
// ("authorization.RevokeAuthCode"); the transaction takes its two fields as
// plain parameters.
type AuthCodeRevocation struct {
	AuthCode string `json:"authCode"`
	Note     string `json:"note"`
}

// Validate checks the revocation's fields.
func (r *AuthCodeRevocation) Validate() error {
	var c checks
	c.hexID("authCode", r.AuthCode)
	c.text("note", r.Note, true)
	return c.err
}

// AuthCodeID derives an authorization code's ID from its asset and hash.
func AuthCodeID(asset, hash string) string { return DeriveID("authcode", asset, hash) }

// TransientAuthCode is the transient-data key under which a caller presents an
// authorization code.
const TransientAuthCode = "authCode"

// Access actions recorded in AccessRecord.Action.
const (
	AccessView     = "view"     // content shown
	AccessUse      = "use"      // content presented to a third party
	AccessKey      = "key"      // symmetric data key released (7.4.4 d 6)
	AccessRegulate = "regulate" // regulator inspection (7.4.3 g)
)

// AccessRecord is one access to an asset's content (使用记录, 7.6.2 b): who,
// why, when (the transaction's timestamp) and under which grant or code. Its
// transaction ID lets anyone check the time against the block.
type AccessRecord struct {
	ID        string `json:"id"`
	Asset     string `json:"asset"`
	Accessor  string `json:"accessor"`
	Action    string `json:"action"`
	Reason    string `json:"reason"`
	Grant     string `json:"grant,omitempty" metadata:",optional"`
	AuthCode  string `json:"authCode,omitempty" metadata:",optional"`
	Signature string `json:"signature,omitempty" metadata:",optional"`
	Time      string `json:"time"`
	TxID      string `json:"txId"`
}

// AccessRecording records an access. Accessor is the owner, a grantee (with
// Grant), a code holder (the code in transient data under
// TransientAuthCode) or a regulator member. A subject accessor signs it.
type AccessRecording struct {
	Asset    string `json:"asset"`
	Accessor string `json:"accessor"`
	Action   string `json:"action"`
	Reason   string `json:"reason"`
	Grant    string `json:"grant,omitempty"`
	AuthCode string `json:"authCode,omitempty"`
}

// Validate checks the recording's fields.
func (a *AccessRecording) Validate() error {
	var c checks
	c.hexID("asset", a.Asset)
	c.id("accessor", a.Accessor)
	oneOf(&c, "action", a.Action, AccessView, AccessUse, AccessKey, AccessRegulate)
	c.text("reason", a.Reason, true)
	if a.Grant != "" {
		c.hexID("grant", a.Grant)
	}
	if a.AuthCode != "" {
		c.hexID("authCode", a.AuthCode)
	}
	if a.Grant != "" && a.AuthCode != "" {
		c.fail("give a grant or an authorization code, not both")
	}
	return c.err
}

// Access request statuses.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestDenied   = "denied"
)

// AccessRequest asks an asset's owner for a grant. Pending requests past
// DueAt drive the reminders of 7.6.2 f.
type AccessRequest struct {
	ID        string    `json:"id"`
	Asset     string    `json:"asset"`
	Owner     string    `json:"owner"`
	Requester string    `json:"requester"`
	Kind      GrantKind `json:"kind"`
	Scope     Scope     `json:"scope"`
	Purpose   string    `json:"purpose"`
	DueAt     string    `json:"dueAt"`
	Status    string    `json:"status"`
	Grant     string    `json:"grant,omitempty" metadata:",optional"`
	Note      string    `json:"note,omitempty" metadata:",optional"`
	CreatedAt string    `json:"createdAt"`
	CreatedTx string    `json:"createdTx"`
	UpdatedAt string    `json:"updatedAt"`
	UpdatedTx string    `json:"updatedTx"`
}

// AccessRequestID derives a request's ID.
func AccessRequestID(asset, requester, nonce string) string {
	return DeriveID("request", asset, requester, nonce)
}

// AccessRequestCreation asks for access. A subject requester signs it; a
// member requester is identified by its MSP.
type AccessRequestCreation struct {
	Asset     string    `json:"asset"`
	Requester string    `json:"requester"`
	Kind      GrantKind `json:"kind"`
	Scope     Scope     `json:"scope"`
	Purpose   string    `json:"purpose"`
	DueAt     string    `json:"dueAt"`
	Nonce     string    `json:"nonce"`
}

// Validate checks the request's fields.
func (a *AccessRequestCreation) Validate() error {
	var c checks
	c.hexID("asset", a.Asset)
	c.id("requester", a.Requester)
	oneOf(&c, "kind", a.Kind, KindAuthorization, KindDelegation)
	oneOf(&c, "scope", a.Scope, ScopeView, ScopeUse)
	c.text("purpose", a.Purpose, true)
	c.time("dueAt", a.DueAt, true)
	c.id("nonce", a.Nonce)
	return c.err
}

// AccessRequestDenial denies a pending request, signed by the owner. Approval
// is a GrantRequest naming the request.
type AccessRequestDenial struct {
	Request string `json:"request"`
	Note    string `json:"note"`
}

// Validate checks the denial's fields.
func (d *AccessRequestDenial) Validate() error {
	var c checks
	c.hexID("request", d.Request)
	c.text("note", d.Note, true)
	return c.err
}

// GrantPage, AccessRecordPage and AccessRequestPage are pages of a query.
type (
	GrantPage struct {
		Items    []Grant `json:"items"`
		Bookmark string  `json:"bookmark,omitempty" metadata:",optional"`
	}
	AccessRecordPage struct {
		Items    []AccessRecord `json:"items"`
		Bookmark string         `json:"bookmark,omitempty" metadata:",optional"`
	}
	AccessRequestPage struct {
		Items    []AccessRequest `json:"items"`
		Bookmark string          `json:"bookmark,omitempty" metadata:",optional"`
	}
)
