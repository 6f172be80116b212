package cryptogen

import (
	"fmt"
	"regexp"
)

// OrgSpec describes one organisation to generate.
type OrgSpec struct {
	// MSPID is the organisation's MSP identifier, for example "MarketMSP".
	MSPID string
	// Domain is the organisation's DNS domain, for example "market.kaiban.local"; it
	// names the organisation's folder and is the suffix of every node and user name.
	Domain string
	// Orderer marks an ordering-service organisation: its folder goes under
	// ordererOrganizations and its nodes are orderers instead of peers.
	Orderer bool
	// Nodes is the number of peers (or orderers) to generate, named peer0, peer1, ...
	// (orderer0, ...). Zero means one.
	Nodes int
	// Hosts are extra DNS names or IP addresses put in every node's TLS server
	// certificate besides the node's own name, such as "localhost" and "127.0.0.1".
	Hosts []string
	// Users are the organisation's users. When empty, an admin "Admin" and a client
	// "User1" are generated.
	Users []UserSpec
}

// UserSpec describes one user identity of an organisation.
type UserSpec struct {
	// Name is the user's short name; the certificate's common name is Name@Domain.
	Name string
	// Admin gives the user the admin role (OU=admin) instead of client (OU=client).
	Admin bool
	// Attrs are Fabric CA style attributes put into the certificate, for example
	// {"kaiban.role": "clerk"}.
	Attrs map[string]string
}

var (
	domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
	namePattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	mspidPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// Validate reports whether s can be generated: a well-formed MSP ID and domain and
// distinct, well-formed user names.
func (s OrgSpec) Validate() error {
	if !mspidPattern.MatchString(s.MSPID) {
		return fmt.Errorf("invalid MSP ID %q", s.MSPID)
	}
	if !domainPattern.MatchString(s.Domain) {
		return fmt.Errorf("org %s: invalid domain %q", s.MSPID, s.Domain)
	}
	if s.Nodes < 0 {
		return fmt.Errorf("org %s: negative node count", s.MSPID)
	}
	seen := map[string]bool{}
	for _, u := range s.users() {
		if !namePattern.MatchString(u.Name) {
			return fmt.Errorf("org %s: invalid user name %q", s.MSPID, u.Name)
		}
		if seen[u.Name] {
			return fmt.Errorf("org %s: duplicate user %q", s.MSPID, u.Name)
		}
		seen[u.Name] = true
	}
	return nil
}

func (s OrgSpec) users() []UserSpec {
	if len(s.Users) == 0 {
		return []UserSpec{{Name: "Admin", Admin: true}, {Name: "User1"}}
	}
	return s.Users
}

func (s OrgSpec) nodes() int {
	if s.Nodes == 0 {
		return 1
	}
	return s.Nodes
}

// NodeName returns the host name of the i-th peer (or orderer) of the organisation.
func (s OrgSpec) NodeName(i int) string {
	kind := "peer"
	if s.Orderer {
		kind = "orderer"
	}
	return fmt.Sprintf("%s%d.%s", kind, i, s.Domain)
}

// UserName returns the common name of a user of the organisation: name@domain.
func (s OrgSpec) UserName(name string) string {
	return name + "@" + s.Domain
}
