package model

// Chaincode names, as deployed on every channel. Cross-chaincode calls
// (InvokeChaincode) address each other by these names.
const (
	ChaincodeSubject       = "subject"
	ChaincodeAsset         = "asset"
	ChaincodeAuthorization = "authorization"
	ChaincodeApproval      = "approval"
)

// Certificate attributes (Fabric CA style, read with pkg/cid) that give an
// identity of a member organisation a platform role beyond its MSP.
const (
	// AttrRole names the platform role of a client identity.
	AttrRole = "kaiban.role"
	// AttrUser carries the platform user ID of the person behind an identity,
	// recorded as approver or intervener. It is a pseudonymous ID, never a name.
	AttrUser = "kaiban.user"
)

// Roles carried in AttrRole.
const (
	RoleClerk      = "clerk"      // comprehensive-acceptance window (综合受理)
	RoleSupervisor = "supervisor" // process supervision (业务流程监管)
	RoleRegulator  = "regulator"  // regulator service (监管服务)
)

// Department codes of the seven department systems of clause 7.7, in the
// order the default establishment process runs them.
const (
	DeptMarket      = "market"       // business licence (营业执照, market regulation)
	DeptSeal        = "seal"         // seal engraving (印章刻制, public security)
	DeptSocial      = "social"       // social security registration (社保登记)
	DeptMedical     = "medical"      // medical insurance registration (医保登记)
	DeptHousingFund = "housing-fund" // housing provident fund account (住房公积金开户)
	DeptBank        = "bank"         // bank account appointment (银行开户预约)
	DeptTax         = "tax"          // tax handling (涉税办理)
)

// Departments lists the department codes in process order.
var Departments = []string{DeptMarket, DeptSeal, DeptSocial, DeptMedical, DeptHousingFund, DeptBank, DeptTax}
