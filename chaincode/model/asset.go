package model

// AssetType defines a kind of digital asset (数字资产定义, 7.4.2 e): what its
// content looks like and which members may issue or review it.
type AssetType struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Schema     string   `json:"schema"`
	Issuers    []string `json:"issuers"`
	Reviewers  []string `json:"reviewers,omitempty" metadata:",optional"`
	SelfUpload bool     `json:"selfUpload"`
	Status     string   `json:"status"`
	Note       string   `json:"note,omitempty" metadata:",optional"`
	DefinedBy  string   `json:"definedBy"`
	CreatedAt  string   `json:"createdAt"`
	CreatedTx  string   `json:"createdTx"`
	UpdatedAt  string   `json:"updatedAt"`
	UpdatedTx  string   `json:"updatedTx"`
}

// AssetTypeDefinition defines or redefines an asset type. Schema is a JSON
// Schema document describing the asset's plaintext content; it is kept so
// every party validates content the same way. Reviewers may turn
// self-uploaded assets of this type into trusted ones (7.6.2 c 4).
type AssetTypeDefinition struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Schema     string   `json:"schema"`
	Issuers    []string `json:"issuers"`
	Reviewers  []string `json:"reviewers,omitempty"`
	SelfUpload bool     `json:"selfUpload,omitempty"`
}

// Validate checks the definition's fields.
func (d *AssetTypeDefinition) Validate() error {
	var c checks
	c.id("code", d.Code)
	c.text("name", d.Name, true)
	if len(d.Schema) == 0 || len(d.Schema) > 16<<10 || d.Schema[0] != '{' {
		c.fail("schema must be a JSON Schema object of at most 16 KiB")
	}
	if len(d.Issuers) == 0 {
		c.fail("issuers must name at least one member")
	}
	for _, m := range d.Issuers {
		c.id("issuer", m)
	}
	for _, m := range d.Reviewers {
		c.id("reviewer", m)
	}
	if d.SelfUpload && len(d.Reviewers) == 0 {
		c.fail("a type open to self-upload needs at least one reviewer")
	}
	return c.err
}

// IssueChannel is how an asset came onto the chain (上链方式, 7.6.2 c).
type IssueChannel string

// The four issuance channels of 7.6.2 c.
const (
	ChannelAuthority  IssueChannel = "authority"  // 权威机构签发
	ChannelWindow     IssueChannel = "window"     // 出件窗口签发
	ChannelDepartment IssueChannel = "department" // 业务办理部门签发
	ChannelSelf       IssueChannel = "self"       // 个人、企业签发, then reviewed
)

// EncryptionMode says how an asset's SM4 data key is protected (7.4.4 d 5).
type EncryptionMode string

// Encryption modes.
const (
	// EncryptSymmetric wraps the data key with SM4 under a key derived from
	// the owner's locker unlock password.
	EncryptSymmetric EncryptionMode = "sm4"
	// EncryptAsymmetric wraps the data key with SM2 under the owner's public
	// key.
	EncryptAsymmetric EncryptionMode = "sm2"
)

// WrappedKey is an asset's SM4 data key wrapped for one recipient.
type WrappedKey struct {
	Recipient string         `json:"recipient"`
	Mode      EncryptionMode `json:"mode"`
	Key       string         `json:"key"`
}

func (w *WrappedKey) check(c *checks) {
	c.id("key recipient", w.Recipient)
	oneOf(c, "key mode", w.Mode, EncryptSymmetric, EncryptAsymmetric)
	c.base64("wrapped key", w.Key, true)
	if len(w.Key) > 1024 {
		c.fail("wrapped key is longer than 1024 characters")
	}
}

// Asset statuses (7.4.4 d 1) and the review states of self-uploads.
const (
	AssetPendingReview = "pending-review"
	AssetAvailable     = "available"
	AssetRejected      = "rejected"
	AssetRevoked       = "revoked"
	AssetAbolished     = "abolished"
)

// IssuerKind says whether an asset was issued by a member or a subject.
const (
	IssuerMember  = "member"
	IssuerSubject = "subject"
)

// Asset is a digital asset's record. Its content is stored off chain,
// SM4-GCM encrypted, in the storage nodes under CipherDigest; ContentDigest
// pins the plaintext and the issuer's signature covers both. SubmittedBy is
// the member whose identity submitted the issue: the issuer itself, or the
// member that brought a subject's issue on chain and answers for it.
type Asset struct {
	ID              string         `json:"id"`
	Type            string         `json:"type"`
	Owner           string         `json:"owner"`
	Issuer          string         `json:"issuer"`
	IssuerKind      string         `json:"issuerKind"`
	Channel         IssueChannel   `json:"channel"`
	BusinessKey     string         `json:"businessKey"`
	ContentDigest   string         `json:"contentDigest"`
	CipherDigest    string         `json:"cipherDigest"`
	StorageRef      string         `json:"storageRef"`
	Size            int64          `json:"size"`
	Encryption      EncryptionMode `json:"encryption"`
	Keys            []WrappedKey   `json:"keys"`
	IssuerSignature string         `json:"issuerSignature"`
	Status          string         `json:"status"`
	SubmittedBy     string         `json:"submittedBy"`
	ReviewedBy      string         `json:"reviewedBy,omitempty" metadata:",optional"`
	ReviewSignature string         `json:"reviewSignature,omitempty" metadata:",optional"`
	Note            string         `json:"note,omitempty" metadata:",optional"`
	CreatedAt       string         `json:"createdAt"`
	CreatedTx       string         `json:"createdTx"`
	UpdatedAt       string         `json:"updatedAt"`
	UpdatedTx       string         `json:"updatedTx"`
}

// AssetID derives an asset's ID from its type, owner, issuer and business key
// (for example an application ID and item), so reissuing the same thing finds
// the same record.
func AssetID(assetType, owner, issuer, businessKey string) string {
	return DeriveID("asset", assetType, owner, issuer, businessKey)
}

// AssetIssue issues an asset (数字资产发行, 7.4.4 a). The issuer, a member
// or a subject with PermIssueAsset, signs it with its SM2 key; for
// ChannelSelf the issuer is the owner and the asset waits for review.
type AssetIssue struct {
	Type          string         `json:"type"`
	Owner         string         `json:"owner"`
	Issuer        string         `json:"issuer"`
	Channel       IssueChannel   `json:"channel"`
	BusinessKey   string         `json:"businessKey"`
	ContentDigest string         `json:"contentDigest"`
	CipherDigest  string         `json:"cipherDigest"`
	StorageRef    string         `json:"storageRef"`
	Size          int64          `json:"size"`
	Encryption    EncryptionMode `json:"encryption"`
	Keys          []WrappedKey   `json:"keys"`
}

// Validate checks the issue's fields.
func (a *AssetIssue) Validate() error {
	var c checks
	c.id("type", a.Type)
	c.hexID("owner", a.Owner)
	c.id("issuer", a.Issuer)
	oneOf(&c, "channel", a.Channel, ChannelAuthority, ChannelWindow, ChannelDepartment, ChannelSelf)
	c.text("businessKey", a.BusinessKey, true)
	c.digest("contentDigest", a.ContentDigest)
	c.digest("cipherDigest", a.CipherDigest)
	c.text("storageRef", a.StorageRef, true)
	if a.Size <= 0 {
		c.fail("size must be positive")
	}
	oneOf(&c, "encryption", a.Encryption, EncryptSymmetric, EncryptAsymmetric)
	if len(a.Keys) == 0 || len(a.Keys) > 16 {
		c.fail("keys must wrap the data key for 1 to 16 recipients")
	}
	ownerKey := false
	for i := range a.Keys {
		a.Keys[i].check(&c)
		ownerKey = ownerKey || a.Keys[i].Recipient == a.Owner
	}
	if !ownerKey && c.err == nil {
		c.fail("keys must include the data key wrapped for the owner")
	}
	return c.err
}

// AssetReview decides a self-uploaded asset (7.6.2 c 4); the reviewing member
// signs the review with its member key, which the asset keeps as
// ReviewSignature.
type AssetReview struct {
	Asset   string `json:"asset"`
	Approve bool   `json:"approve"`
	Note    string `json:"note,omitempty"`
}

// Validate checks the review's fields.
func (r *AssetReview) Validate() error {
	var c checks
	c.hexID("asset", r.Asset)
	c.text("note", r.Note, !r.Approve)
	return c.err
}

// AssetTransfer moves an asset to a new owner (转移), signed by the current
// owner, with the data key wrapped for the new owner. LatestTx is the asset's
// latest transaction ID (7.4.4 d 2) when the owner signed: it binds the
// signature to that version of the asset, so the signed transfer cannot be
// replayed after the asset has come back to the same owner.
type AssetTransfer struct {
	Asset    string     `json:"asset"`
	LatestTx string     `json:"latestTx"`
	NewOwner string     `json:"newOwner"`
	Key      WrappedKey `json:"key"`
	Note     string     `json:"note"`
}

// Validate checks the transfer's fields.
func (t *AssetTransfer) Validate() error {
	var c checks
	c.hexID("asset", t.Asset)
	c.id("latestTx", t.LatestTx)
	c.hexID("newOwner", t.NewOwner)
	t.Key.check(&c)
	if t.Key.Recipient != t.NewOwner && c.err == nil {
		c.fail("key must be wrapped for the new owner")
	}
	c.text("note", t.Note, true)
	return c.err
}

// AssetStatusChange revokes (撤销) or abolishes (废除) an asset; Note says why.
type AssetStatusChange struct {
	Asset string `json:"asset"`
	Note  string `json:"note"`
}

// Validate checks the change's fields.
func (s *AssetStatusChange) Validate() error {
	var c checks
	c.hexID("asset", s.Asset)
	c.text("note", s.Note, true)
	return c.err
}

// AssetHistoryEntry is one committed version of an asset record.
type AssetHistoryEntry struct {
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
	IsDelete  bool   `json:"isDelete"`
	Asset     *Asset `json:"asset,omitempty" metadata:",optional"`
}

// AssetTypePage and AssetPage are pages of a query.
type (
	AssetTypePage struct {
		Items    []AssetType `json:"items"`
		Bookmark string      `json:"bookmark,omitempty" metadata:",optional"`
	}
	AssetPage struct {
		Items    []Asset `json:"items"`
		Bookmark string  `json:"bookmark,omitempty" metadata:",optional"`
	}
)
