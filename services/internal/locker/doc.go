// Package locker is the digital locker (数字保险箱) of DB37/T 4431-2021 7.6.2
// and Annex A.5: opening a locker for a trusted subject, the assets in it by
// type, viewing content with a stated reason recorded on chain, the four
// issuance channels of 7.6.2 c, grants and delegations pushed into a
// grantee's locker, access requests with reminders, authorization codes and
// the asset queries of 7.4.4 d.
//
// Other domains put content into a locker through Service.Issue, inside
// their own database transaction: the content is sealed into the object
// store under a fresh SM4 data key bound to the asset ID, the data key is
// wrapped for the owner, the issue is signed by the issuer and its chain
// write is enqueued in the outbox, so it reaches the chain exactly when the
// caller's transaction commits.
package locker
