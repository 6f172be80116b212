// Package cctest runs Kaiban's chaincodes in unit tests as a Fabric peer would run
// them: through txsim, over an in-memory ledger, with real X.509 identities.
//
// A test makes organizations and identities (NewOrg, Org.Identity, with Admin, Client,
// Attr), a Ledger with the chaincodes registered on it, and submits transactions:
//
//	org := cctest.NewOrg("ShandongAMRMSP")
//	clerk := org.Identity("clerk1", cctest.Attr("kaiban.role", "clerk"))
//	l := cctest.NewLedger()
//	l.Register("asset", chaincode)
//	res := l.Submit(clerk, "asset", "Issue", "a1", "licence")
//	if err := res.Err(); err != nil { t.Fatal(err) }
//
// Submit commits the writes of a successful transaction in a new block and changes
// nothing when the chaincode fails; Evaluate never commits. Reads in a transaction see
// committed state only, range queries come back in byte order, history newest first,
// exactly as on Fabric with LevelDB. Each transaction gets a fresh transaction ID and
// the fake clock's time, one second after the previous transaction's unless the test
// moves the clock (SetTime, Advance).
package cctest
