package cctest_test

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
)

// LicenceContract is a tiny contractapi contract for the examples.
type LicenceContract struct {
	contractapi.Contract
}

// Licence is the state the contract keeps.
type Licence struct {
	ID       string `json:"id"`
	Company  string `json:"company"`
	IssuedBy string `json:"issuedBy"`
	IssuedAt string `json:"issuedAt"`
}

// Issue stores a licence; only a clerk may issue, and an ID is issued once.
func (c *LicenceContract) Issue(ctx contractapi.TransactionContextInterface, id, company string) error {
	if err := ctx.GetClientIdentity().AssertAttributeValue("kaiban.role", "clerk"); err != nil {
		return fmt.Errorf("issue licence %s: %w", id, err)
	}
	existing, err := ctx.GetStub().GetState(id)
	if err != nil {
		return fmt.Errorf("issue licence %s: %w", id, err)
	}
	if existing != nil {
		return fmt.Errorf("issue licence %s: already issued", id)
	}
	mspID, err := ctx.GetClientIdentity().GetMSPID()
	if err != nil {
		return fmt.Errorf("issue licence %s: %w", id, err)
	}
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return fmt.Errorf("issue licence %s: %w", id, err)
	}
	lic := Licence{ID: id, Company: company, IssuedBy: mspID, IssuedAt: ts.AsTime().Format("2006-01-02T15:04:05Z")}
	raw, err := json.Marshal(lic)
	if err != nil {
		return fmt.Errorf("issue licence %s: %w", id, err)
	}
	if err := ctx.GetStub().PutState(id, raw); err != nil {
		return fmt.Errorf("issue licence %s: %w", id, err)
	}
	return ctx.GetStub().SetEvent("LicenceIssued", raw)
}

// Read returns a licence.
func (c *LicenceContract) Read(ctx contractapi.TransactionContextInterface, id string) (*Licence, error) {
	raw, err := ctx.GetStub().GetState(id)
	if err != nil {
		return nil, fmt.Errorf("read licence %s: %w", id, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("read licence %s: not found", id)
	}
	var lic Licence
	if err := json.Unmarshal(raw, &lic); err != nil {
		return nil, fmt.Errorf("read licence %s: %w", id, err)
	}
	return &lic, nil
}

func newLicenceChaincode() *contractapi.ContractChaincode {
	cc, err := contractapi.NewChaincode(&LicenceContract{})
	if err != nil {
		panic(err)
	}
	return cc
}

func Example() {
	org := cctest.NewOrg("ShandongAMRMSP")
	clerk := org.Identity("clerk1", cctest.Attr("kaiban.role", "clerk"))
	visitor := org.Identity("visitor1")

	l := cctest.NewLedger()
	l.Register("licence", newLicenceChaincode())

	res := l.Submit(clerk, "licence", "Issue", "L-001", "Jinan Bakery Ltd")
	fmt.Println("issue:", res.Err(), "block", res.BlockNum, "event", res.Event.EventName)

	var lic Licence
	found, err := l.StateJSON("licence", "L-001", &lic)
	fmt.Println("stored:", found, err, lic.IssuedBy, lic.IssuedAt)

	before := l.Height()
	res = l.Submit(visitor, "licence", "Issue", "L-002", "Qingdao Brewery Ltd")
	fmt.Println("visitor:", res.Status, res.Message)
	fmt.Println("nothing written:", l.Height() == before, l.State("licence", "L-002") == nil)

	res = l.Evaluate(visitor, "licence", "Read", "L-001")
	_ = res.JSON(&lic)
	fmt.Println("read:", res.Status, lic.Company)
	// Output:
	// issue: <nil> block 1 event LicenceIssued
	// stored: true <nil> ShandongAMRMSP 2021-12-01T09:00:00Z
	// visitor: 500 issue licence L-002: attribute 'kaiban.role' was not found
	// nothing written: true true
	// read: 200 Jinan Bakery Ltd
}

// Transactions endorsed on the same state and ordered into one block conflict like on
// Fabric: the second one read a key the first one wrote, so it is invalidated.
func ExampleLedger_Commit() {
	org := cctest.NewOrg("ShandongAMRMSP")
	clerk := org.Identity("clerk1", cctest.Attr("kaiban.role", "clerk"))
	l := cctest.NewLedger()
	l.Register("licence", newLicenceChaincode())

	first := l.EvaluateTx(cctest.Tx{Creator: clerk, Chaincode: "licence", Function: "Issue", Args: []string{"L-001", "A"}})
	second := l.EvaluateTx(cctest.Tx{Creator: clerk, Chaincode: "licence", Function: "Issue", Args: []string{"L-001", "B"}})
	l.Commit(first, second)
	fmt.Println(first.Committed, first.ValidationCode)
	fmt.Println(second.Committed, second.ValidationCode, second.Err() != nil)
	// Output:
	// true VALID
	// false MVCC_READ_CONFLICT true
}
