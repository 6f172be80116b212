// Package subject is the subject chaincode: the consortium's register of who
// takes part (DB37/T 4431-2021 7.4.2 a, b, c; Annex A.2 and A.5).
//
// It keeps three tables, each under its own composite key with an index by
// kind for paged listing:
//
//   - Alliance members (联盟成员, "member" / "member~kind"): one per Fabric
//     organisation, keyed by MSP ID. The first member bootstraps the
//     consortium with every member permission; the others apply (准入申请),
//     are reviewed by a member holding model.PermMember (准入审核) and get
//     permissions for contract, node and subject management (操作权限管理).
//     The consortium always keeps at least one active member holding
//     model.PermMember, so governance cannot lock itself out.
//   - Chain nodes (节点, "node" / "node~kind"): consensus, transaction,
//     storage and chain-end nodes with their endpoint and the SM3 digest of
//     their TLS certificate, admitted (准入) and retired (准出) by a member
//     holding model.PermNode.
//   - Trusted subjects (可信主体, "subject" / "subject~kind"): enterprises,
//     persons and institutions owning a digital locker. A member's window
//     submits the locker-opening application signed with the subject's new
//     SM2 key (A.5 a); a member holding model.PermSubject approves it
//     (许可准入, A.5 b) and grants transact, publish-contract and issue-asset
//     permissions.
//
// Only what must be on chain is (7.3 e with GB/T 35273): IDs, SM2 public
// keys, salted SM3 commitments of identity data, statuses and permissions.
// Names of people and identity numbers stay off chain.
//
// The package is also the access.Directory of its own state; the other
// chaincodes reach the same records through access.Remote, which calls
// GetMember and GetSubject by InvokeChaincode.
package subject
