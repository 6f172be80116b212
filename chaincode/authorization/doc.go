// Package authorization is the authorization chaincode: who may see or use a
// digital asset besides its owner, and a record of every time anyone did
// (DB37/T 4431-2021 7.4.2 e, f; 7.4.4 b, c, d 3, d 4; 7.6.2 b, d, e, f; 7.3 g;
// 8.2 c).
//
// It keeps four tables under composite keys in its own namespace:
//
//   - Grants ("grant"): an authorization (授权, 7.4.4 b) or delegation (委托,
//     7.4.4 c) of one asset to one grantee — a subject or an alliance member
//     — to view or use it, for a purpose, until an expiry. The asset's owner
//     signs the grant with its SM2 key. A pushed grant carries the asset's
//     data key re-wrapped for the grantee and lands in the grantee's locker,
//     the "grant~grantee" index that ListGrantsByGrantee reads; every grant is
//     listed under its asset ("grant~asset"). The grantor revokes it with a
//     signed revocation.
//   - Authorization codes ("authcode", 7.4.4 d 3, d 4): bearer secrets the
//     owner hands out off chain. Only the salt and the salted SM3 hash are
//     stored; a holder presents the code in transient data (key
//     model.TransientAuthCode), so it never enters a transaction's payload,
//     read/write set or block, and it is compared in constant time. Salt and
//     hash are readable by every channel member, so a code must carry enough
//     entropy that guessing it offline is hopeless (the platform issues
//     128-bit random codes); the salt only stops precomputed tables.
//   - Access records ("access", 7.6.2 b): one per content access — accessor,
//     action, reason, the grant or code used, the subject's signature — timed
//     by the transaction's timestamp and identified by its transaction ID, so
//     anyone can check the time against the block. They are listed per asset
//     in time order ("access~asset~time").
//   - Access requests ("request", 7.6.2 f): a subject or member asks the
//     owner for a grant with a due time. Pending requests are indexed by due
//     time, overall ("request~due") and per owner ("request~owner~due"), so
//     the reminder jobs find those not handled in time with one range scan.
//     A Grant naming the request approves it; DenyRequest denies it.
//
// Every write arrives through an identity of an active alliance member (the
// platform gateway or a department system). Subjects act by SM2 signature
// over model.SigningMessage("authorization.<Function>", canonical request),
// checked against the key the subject chaincode holds; members act as their
// MSP. Assets, subjects and members are read from the asset and subject
// chaincodes through InvokeChaincode, so their reads join this transaction's
// read set.
package authorization
