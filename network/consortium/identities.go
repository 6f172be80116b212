package consortium

import (
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// Users every organisation has: an admin (NodeOU admin), which signs channel
// updates and chaincode approvals and files the member application, and a
// client, which is the identity kaiban transacts with.
const (
	AdminUser  = "Admin"
	ClientUser = "User1"
)

// RoleUser returns the name of the user of the operator that carries a
// platform role (model.RoleClerk, RoleSupervisor, RoleRegulator): "Clerk1".
func RoleUser(role string) string {
	return string(role[0]-'a'+'A') + role[1:] + "1"
}

// operatorRoles are the platform roles the operator's window and supervision
// staff act in; each gets a client identity carrying it.
var operatorRoles = []string{model.RoleClerk, model.RoleSupervisor, model.RoleRegulator}

func users(o *Org) []cryptogen.UserSpec {
	us := []cryptogen.UserSpec{{Name: AdminUser, Admin: true}, {Name: ClientUser}}
	if o.Kind != string(model.MemberOperator) {
		return us
	}
	for _, role := range operatorRoles {
		us = append(us, cryptogen.UserSpec{
			Name:  RoleUser(role),
			Attrs: map[string]string{model.AttrRole: role, model.AttrUser: role + "1@" + o.MSPID},
		})
	}
	return us
}
