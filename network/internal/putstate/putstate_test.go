package putstate_test

import (
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/network/internal/putstate"
)

func TestContract_PutThenGet(t *testing.T) {
	cc, err := putstate.Chaincode()
	if err != nil {
		t.Fatal(err)
	}
	l := cctest.NewLedger()
	l.Register(putstate.Name, cc)
	user := cctest.NewOrg("OperatorMSP").Identity("User1")

	if res := l.Evaluate(user, putstate.Name, "Get", "k1"); res.Err() == nil {
		t.Errorf("Get of a missing key: %s", res.Payload)
	}
	if res := l.Submit(user, putstate.Name, "Put", "k1", "v1"); res.Err() != nil {
		t.Fatal(res.Err())
	}
	if got := string(l.State(putstate.Name, "k1")); got != "v1" {
		t.Errorf("state of k1 = %q, want v1", got)
	}
	if res := l.Evaluate(user, putstate.Name, "Get", "k1"); res.Err() != nil || string(res.Payload) != "v1" {
		t.Errorf("Get k1 = %q, %v", res.Payload, res.Err())
	}
}
