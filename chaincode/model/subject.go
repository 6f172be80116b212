package model

// Permission is an operation right granted to an alliance member (7.4.2 a)
// or to a trusted subject (7.4.2 b).
type Permission string

// Member permissions (7.4.2 a). PermMember, the right to admit, review and
// suspend members, is implied by the standard's 成员管理 and held by the
// founding member.
const (
	PermMember   Permission = "member"
	PermContract Permission = "contract"
	PermNode     Permission = "node"
	PermSubject  Permission = "subject"
)

// Subject permissions (7.4.2 b).
const (
	PermTransact        Permission = "transact"
	PermPublishContract Permission = "publish-contract"
	PermIssueAsset      Permission = "issue-asset"
)

// MemberPermissions and SubjectPermissions list the permissions each kind of
// party may hold.
var (
	MemberPermissions  = []Permission{PermMember, PermContract, PermNode, PermSubject}
	SubjectPermissions = []Permission{PermTransact, PermPublishContract, PermIssueAsset}
)

// Has reports whether p is in ps.
func Has(ps []Permission, p Permission) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// Status values shared by members, nodes and subjects.
const (
	StatusPending   = "pending"
	StatusActive    = "active"
	StatusRejected  = "rejected"
	StatusSuspended = "suspended" // members
	StatusFrozen    = "frozen"    // subjects
	StatusRetired   = "retired"   // nodes
)

// MemberKind says what an alliance member is.
type MemberKind string

// Member kinds.
const (
	MemberOperator    MemberKind = "operator"    // builds and runs the chain (联盟链建设方)
	MemberDepartment  MemberKind = "department"  // a government department
	MemberInstitution MemberKind = "institution" // a bank or other institution
	MemberRegulator   MemberKind = "regulator"
)

// Member is an alliance member (联盟成员): one Fabric organisation, identified
// by its MSP ID.
type Member struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Kind        MemberKind   `json:"kind"`
	Department  string       `json:"department,omitempty" metadata:",optional"`
	PublicKey   string       `json:"publicKey"`
	Permissions []Permission `json:"permissions,omitempty" metadata:",optional"`
	Status      string       `json:"status"`
	Signature   string       `json:"signature"`
	ReviewedBy  string       `json:"reviewedBy,omitempty" metadata:",optional"`
	Note        string       `json:"note,omitempty" metadata:",optional"`
	CreatedAt   string       `json:"createdAt"`
	CreatedTx   string       `json:"createdTx"`
	UpdatedAt   string       `json:"updatedAt"`
	UpdatedTx   string       `json:"updatedTx"`
}

// MemberApplication applies for admission (准入申请). It is submitted by an
// admin of the applying organisation and signed with the member's SM2 key,
// which proves possession of the key that will sign its issued assets.
type MemberApplication struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Kind       MemberKind `json:"kind"`
	Department string     `json:"department,omitempty"`
	PublicKey  string     `json:"publicKey"`
}

// Validate checks the application's fields.
func (a *MemberApplication) Validate() error {
	var c checks
	c.id("id", a.ID)
	c.text("name", a.Name, true)
	oneOf(&c, "kind", a.Kind, MemberOperator, MemberDepartment, MemberInstitution, MemberRegulator)
	if a.Department != "" {
		oneOf(&c, "department", a.Department, Departments...)
	}
	c.pem("publicKey", a.PublicKey)
	return c.err
}

// MemberReview decides an application (准入审核) and sets the permissions.
type MemberReview struct {
	Member      string       `json:"member"`
	Approve     bool         `json:"approve"`
	Permissions []Permission `json:"permissions,omitempty"`
	Note        string       `json:"note,omitempty"`
}

// Validate checks the review's fields.
func (r *MemberReview) Validate() error {
	var c checks
	c.id("member", r.Member)
	c.text("note", r.Note, false)
	for _, p := range r.Permissions {
		oneOf(&c, "permission", p, MemberPermissions...)
	}
	if !r.Approve && len(r.Permissions) > 0 {
		c.fail("a rejected application cannot be given permissions")
	}
	return c.err
}

// MemberChange sets a member's permissions (操作权限管理) or suspends or
// reinstates it; Note says why.
type MemberChange struct {
	Member      string       `json:"member"`
	Permissions []Permission `json:"permissions,omitempty"`
	Note        string       `json:"note"`
}

// Validate checks the change's fields.
func (r *MemberChange) Validate() error {
	var c checks
	c.id("member", r.Member)
	c.text("note", r.Note, true)
	for _, p := range r.Permissions {
		oneOf(&c, "permission", p, MemberPermissions...)
	}
	return c.err
}

// NodeKind is the role of a chain node (7.2, 7.4.2 c).
type NodeKind string

// Node kinds.
const (
	NodeConsensus   NodeKind = "consensus"   // Fabric orderer
	NodeTransaction NodeKind = "transaction" // Fabric peer
	NodeStorage     NodeKind = "storage"     // MinIO node
	NodeChainEnd    NodeKind = "chain-end"   // client access point (链端节点)
)

// Node is an alliance node admitted to the chain.
type Node struct {
	ID            string   `json:"id"`
	Member        string   `json:"member"`
	Name          string   `json:"name"`
	Kind          NodeKind `json:"kind"`
	Endpoint      string   `json:"endpoint"`
	TLSCertDigest string   `json:"tlsCertDigest"`
	Status        string   `json:"status"`
	Note          string   `json:"note,omitempty" metadata:",optional"`
	AdmittedBy    string   `json:"admittedBy"`
	CreatedAt     string   `json:"createdAt"`
	CreatedTx     string   `json:"createdTx"`
	UpdatedAt     string   `json:"updatedAt"`
	UpdatedTx     string   `json:"updatedTx"`
}

// NodeID derives a node's ID from its member and name.
func NodeID(member, name string) string { return DeriveID("node", member, name) }

// NodeAdmission admits a node (准入).
type NodeAdmission struct {
	Member        string   `json:"member"`
	Name          string   `json:"name"`
	Kind          NodeKind `json:"kind"`
	Endpoint      string   `json:"endpoint"`
	TLSCertDigest string   `json:"tlsCertDigest"`
}

// Validate checks the admission's fields.
func (a *NodeAdmission) Validate() error {
	var c checks
	c.id("member", a.Member)
	c.id("name", a.Name)
	oneOf(&c, "kind", a.Kind, NodeConsensus, NodeTransaction, NodeStorage, NodeChainEnd)
	c.text("endpoint", a.Endpoint, true)
	c.digest("tlsCertDigest", a.TLSCertDigest)
	return c.err
}

// NodeRetirement retires a node (准出).
type NodeRetirement struct {
	Node string `json:"node"`
	Note string `json:"note"`
}

// Validate checks the retirement's fields.
func (r *NodeRetirement) Validate() error {
	var c checks
	c.hexID("node", r.Node)
	c.text("note", r.Note, true)
	return c.err
}

// SubjectKind says what a trusted subject is (3.3).
type SubjectKind string

// Subject kinds.
const (
	SubjectEnterprise  SubjectKind = "enterprise"
	SubjectPerson      SubjectKind = "person"
	SubjectInstitution SubjectKind = "institution"
)

// Commitment keys in Subject.Commitments. Each value is a salted SM3
// commitment (hex) of identity data kept off chain; the salt never goes on
// chain.
const (
	CommitIdentity = "identity"            // enterprise basics or a person's identity
	CommitLegalRep = "legalRepresentative" // the enterprise's legal representative (A.5 a)
	CommitAcceptor = "acceptor"            // the window clerk who accepted the opening (A.5 a)
)

// Subject is a trusted subject with a digital locker (可信主体, 数字保险箱).
type Subject struct {
	ID          string            `json:"id"`
	Kind        SubjectKind       `json:"kind"`
	Commitments map[string]string `json:"commitments"`
	PublicKey   string            `json:"publicKey"`
	Permissions []Permission      `json:"permissions,omitempty" metadata:",optional"`
	Status      string            `json:"status"`
	Sponsor     string            `json:"sponsor"`
	Signature   string            `json:"signature"`
	ReviewedBy  string            `json:"reviewedBy,omitempty" metadata:",optional"`
	Note        string            `json:"note,omitempty" metadata:",optional"`
	CreatedAt   string            `json:"createdAt"`
	CreatedTx   string            `json:"createdTx"`
	UpdatedAt   string            `json:"updatedAt"`
	UpdatedTx   string            `json:"updatedTx"`
}

// SubjectID derives a subject's ID from its kind and identity commitment.
func SubjectID(kind SubjectKind, identityCommitment string) string {
	return DeriveID("subject", string(kind), identityCommitment)
}

// SubjectApplication applies to open a locker (数字保险箱开户申请, A.5). It is
// submitted by a member's window and signed with the subject's new SM2 key.
type SubjectApplication struct {
	Kind        SubjectKind       `json:"kind"`
	Commitments map[string]string `json:"commitments"`
	PublicKey   string            `json:"publicKey"`
}

// Validate checks the application's fields.
func (a *SubjectApplication) Validate() error {
	var c checks
	oneOf(&c, "kind", a.Kind, SubjectEnterprise, SubjectPerson, SubjectInstitution)
	if _, ok := a.Commitments[CommitIdentity]; !ok {
		c.fail("commitments must include %q", CommitIdentity)
	}
	if a.Kind == SubjectEnterprise {
		if _, ok := a.Commitments[CommitLegalRep]; !ok {
			c.fail("an enterprise's commitments must include %q", CommitLegalRep)
		}
	}
	if len(a.Commitments) > 8 {
		c.fail("at most 8 commitments")
	}
	for k, v := range a.Commitments {
		c.id("commitment name", k)
		c.digest("commitment "+k, v)
	}
	c.pem("publicKey", a.PublicKey)
	return c.err
}

// SubjectReview decides a locker-opening application (许可准入).
type SubjectReview struct {
	Subject     string       `json:"subject"`
	Approve     bool         `json:"approve"`
	Permissions []Permission `json:"permissions,omitempty"`
	Note        string       `json:"note,omitempty"`
}

// Validate checks the review's fields.
func (r *SubjectReview) Validate() error {
	var c checks
	c.hexID("subject", r.Subject)
	c.text("note", r.Note, false)
	for _, p := range r.Permissions {
		oneOf(&c, "permission", p, SubjectPermissions...)
	}
	if !r.Approve && len(r.Permissions) > 0 {
		c.fail("a rejected application cannot be given permissions")
	}
	return c.err
}

// SubjectChange sets a subject's permissions, freezes or unfreezes it; Note
// says why.
type SubjectChange struct {
	Subject     string       `json:"subject"`
	Permissions []Permission `json:"permissions,omitempty"`
	Note        string       `json:"note"`
}

// Validate checks the change's fields.
func (r *SubjectChange) Validate() error {
	var c checks
	c.hexID("subject", r.Subject)
	c.text("note", r.Note, true)
	for _, p := range r.Permissions {
		oneOf(&c, "permission", p, SubjectPermissions...)
	}
	return c.err
}

// SubjectKeyChange replaces a subject's SM2 public key (密钥更换). Signed with
// the current key by the subject itself, or submitted without a subject
// signature by a member holding PermSubject after a k-of-n recovery.
type SubjectKeyChange struct {
	Subject   string `json:"subject"`
	PublicKey string `json:"publicKey"`
	Note      string `json:"note"`
}

// Validate checks the change's fields.
func (r *SubjectKeyChange) Validate() error {
	var c checks
	c.hexID("subject", r.Subject)
	c.pem("publicKey", r.PublicKey)
	c.text("note", r.Note, true)
	return c.err
}

// MemberKeyChange replaces a member's SM2 public key (密钥更换, 7.4.3 b 1):
// a department's key rotation in the key service. It is signed with the
// member's current key, so only the holder of the old key installs a new one.
type MemberKeyChange struct {
	Member    string `json:"member"`
	PublicKey string `json:"publicKey"`
	Note      string `json:"note"`
}

// Validate checks the change's fields.
func (r *MemberKeyChange) Validate() error {
	var c checks
	c.id("member", r.Member)
	c.pem("publicKey", r.PublicKey)
	c.text("note", r.Note, true)
	return c.err
}

// MemberPage, NodePage and SubjectPage are pages of a query; Bookmark, when
// not empty, fetches the next page.
type (
	MemberPage struct {
		Items    []Member `json:"items"`
		Bookmark string   `json:"bookmark,omitempty" metadata:",optional"`
	}
	NodePage struct {
		Items    []Node `json:"items"`
		Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
	}
	SubjectPage struct {
		Items    []Subject `json:"items"`
		Bookmark string    `json:"bookmark,omitempty" metadata:",optional"`
	}
)
