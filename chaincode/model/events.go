package model

// Chaincode event names. Every transaction that changes state emits exactly
// one of these (Fabric keeps one event per transaction) with the changed
// record as its JSON payload, so a listener can project the chain into a
// database without reading state.
const (
	// subject chaincode
	EventMemberApplied     = "MemberApplied"
	EventMemberReviewed    = "MemberReviewed"
	EventMemberChanged     = "MemberChanged"
	EventMemberKeyChanged  = "MemberKeyChanged"
	EventNodeAdmitted      = "NodeAdmitted"
	EventNodeRetired       = "NodeRetired"
	EventSubjectApplied    = "SubjectApplied"
	EventSubjectReviewed   = "SubjectReviewed"
	EventSubjectChanged    = "SubjectChanged"
	EventSubjectKeyChanged = "SubjectKeyChanged"
	EventAuditAnchored     = "AuditAnchored"

	// asset chaincode
	EventAssetTypeDefined   = "AssetTypeDefined"
	EventAssetTypeAbolished = "AssetTypeAbolished"
	EventAssetIssued        = "AssetIssued"
	EventAssetReviewed      = "AssetReviewed"
	EventAssetTransferred   = "AssetTransferred"
	EventAssetRevoked       = "AssetRevoked"
	EventAssetAbolished     = "AssetAbolished"

	// authorization chaincode
	EventGrantCreated        = "GrantCreated"
	EventGrantRevoked        = "GrantRevoked"
	EventAuthCodeIssued      = "AuthCodeIssued"
	EventAuthCodeRevoked     = "AuthCodeRevoked"
	EventAccessRecorded      = "AccessRecorded"
	EventAccessRequested     = "AccessRequested"
	EventAccessRequestDenied = "AccessRequestDenied"

	// approval chaincode
	EventProcessStarted       = "ProcessStarted"
	EventStepDecided          = "StepDecided"
	EventStepOverdue          = "StepOverdue"
	EventInterventionRecorded = "InterventionRecorded"
	EventBundleIssued         = "BundleIssued"
)
