// Package access decides who may do what inside a contract: the caller's
// Fabric identity (MSP, admin or client, certificate attributes), the caller's
// membership and permissions as recorded by the subject chaincode, and the SM2
// signatures that subjects and issuing members put on their requests.
package access

import (
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Caller is the identity that submitted the transaction.
type Caller struct {
	MSPID string
	// ID is the X.509 identity string cid builds from subject and issuer.
	ID    string
	Admin bool
	Role  string
	// User is the pseudonymous platform user behind the identity, or the
	// identity's ID when the certificate names none.
	User string
}

// CallerOf reads the caller's identity from the transaction context.
func CallerOf(ctx contractapi.TransactionContextInterface) (*Caller, error) {
	ci := ctx.GetClientIdentity()
	// contractapi stores a typed nil when the creator is not an X.509
	// identity; a peer would refuse such a proposal, but a chaincode must not
	// panic on it either.
	if id, ok := ci.(*cid.ClientID); ci == nil || (ok && id == nil) {
		return nil, model.Errorf(model.CodeDenied, "caller is not an X.509 identity")
	}
	msp, err := ci.GetMSPID()
	if err != nil {
		return nil, model.Errorf(model.CodeDenied, "caller has no MSP ID: %v", err)
	}
	id, err := ci.GetID()
	if err != nil {
		return nil, model.Errorf(model.CodeDenied, "caller has no identity: %v", err)
	}
	cert, err := ci.GetX509Certificate()
	if err != nil || cert == nil {
		return nil, model.Errorf(model.CodeDenied, "caller has no X.509 certificate")
	}
	// NodeOUs: Fabric marks an organisation's admins with OU=admin.
	admin := slices.Contains(cert.Subject.OrganizationalUnit, "admin")
	role, _, err := ci.GetAttributeValue(model.AttrRole)
	if err != nil {
		return nil, model.Errorf(model.CodeDenied, "caller attributes unreadable: %v", err)
	}
	user, ok, err := ci.GetAttributeValue(model.AttrUser)
	if err != nil {
		return nil, model.Errorf(model.CodeDenied, "caller attributes unreadable: %v", err)
	}
	if !ok {
		user = id
	}
	return &Caller{MSPID: msp, ID: id, Admin: admin, Role: role, User: user}, nil
}

// Directory finds members and subjects. The subject chaincode reads its own
// state; the others ask it through InvokeChaincode.
type Directory interface {
	Member(ctx contractapi.TransactionContextInterface, id string) (*model.Member, error)
	Subject(ctx contractapi.TransactionContextInterface, id string) (*model.Subject, error)
}

// ActiveMember returns the caller's member record if the member is active and
// holds every permission in perms.
func ActiveMember(ctx contractapi.TransactionContextInterface, dir Directory, caller *Caller, perms ...model.Permission) (*model.Member, error) {
	m, err := dir.Member(ctx, caller.MSPID)
	if model.IsCode(err, model.CodeNotFound) {
		return nil, model.Errorf(model.CodeDenied, "%s is not an alliance member", caller.MSPID)
	}
	if err != nil {
		return nil, err
	}
	if m.Status != model.StatusActive {
		return nil, model.Errorf(model.CodeDenied, "member %s is %s", m.ID, m.Status)
	}
	for _, p := range perms {
		if !model.Has(m.Permissions, p) {
			return nil, model.Errorf(model.CodeDenied, "member %s lacks the %s permission", m.ID, p)
		}
	}
	return m, nil
}

// RequireAdmin refuses a caller whose certificate is not an admin of its
// organisation; consortium governance is done by organisation admins.
func RequireAdmin(caller *Caller) error {
	if !caller.Admin {
		return model.Errorf(model.CodeDenied, "%s: only an organisation admin may do this", caller.MSPID)
	}
	return nil
}

// RequireRole refuses a caller whose certificate does not carry role in
// model.AttrRole.
func RequireRole(caller *Caller, role string) error {
	if caller.Role != role {
		return model.Errorf(model.CodeDenied, "%s: requires the %s role", caller.MSPID, role)
	}
	return nil
}

// ActiveSubject returns the subject if it exists and is active; a frozen or
// unapproved subject can neither act nor receive.
func ActiveSubject(ctx contractapi.TransactionContextInterface, dir Directory, id string) (*model.Subject, error) {
	s, err := dir.Subject(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Status != model.StatusActive {
		return nil, model.Errorf(model.CodeState, "subject %s is %s", s.ID, s.Status)
	}
	return s, nil
}

// VerifySignature checks a base64 SM2 signature by the holder of publicKeyPEM
// over model.SigningMessage(action, canonical).
func VerifySignature(publicKeyPEM, action string, canonical []byte, signatureB64, signer string) error {
	sig, err := base64.StdEncoding.DecodeString(signatureB64)
	if err != nil || len(sig) == 0 {
		return model.Errorf(model.CodeSignature, "signature of %s is not base64", signer)
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(publicKeyPEM))
	if err != nil {
		return fmt.Errorf("public key of %s on chain is unreadable: %w", signer, err)
	}
	if !gm.Verify(pub, model.SigningMessage(action, canonical), sig) {
		return model.Errorf(model.CodeSignature, "signature by %s does not verify for %s", signer, action)
	}
	return nil
}
