package subject_test

import (
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func admission(member, name string, kind model.NodeKind) model.NodeAdmission {
	return model.NodeAdmission{Member: member, Name: name, Kind: kind, Endpoint: name + "." + member + ":7051", TLSCertDigest: gm.Hex([]byte(name))}
}

func TestAdmitNode_EveryKind(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptMarket)
	for _, kind := range []model.NodeKind{model.NodeConsensus, model.NodeTransaction, model.NodeStorage, model.NodeChainEnd} {
		t.Run(string(kind), func(t *testing.T) {
			a := admission(dept.ID, "n-"+string(kind), kind)
			var n model.Node
			res := succeed(t, l, c.Operator.Admin, model.EventNodeAdmitted, &n, "AdmitNode", js(t, &a))
			if n.ID != model.NodeID(dept.ID, a.Name) || n.Status != model.StatusActive || n.Kind != kind ||
				n.Endpoint != a.Endpoint || n.TLSCertDigest != a.TLSCertDigest || n.AdmittedBy != c.Operator.ID || n.CreatedTx != res.TxID {
				t.Fatalf("admitted %+v", n)
			}
			if !hasIndex(t, l, "node~kind", string(kind), n.ID) {
				t.Fatal("kind index missing")
			}
			unchanged(t, l, c.Operator.Admin, nil, "AdmitNode", js(t, &a))
		})
	}
}

func TestAdmitNode_Refusals(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptMarket, model.PermContract)
	a := admission(dept.ID, "peer0", model.NodeTransaction)
	req := js(t, &a)

	// Denied: not an admin; no PermNode; not a member.
	fail(t, l, c.Operator.Client, model.CodeDenied, "AdmitNode", req)
	fail(t, l, dept.Admin, model.CodeDenied, "AdmitNode", req)
	fail(t, l, cctest.NewOrg("XMSP").Identity("admin", cctest.Admin()), model.CodeDenied, "AdmitNode", req)

	// Malformed.
	bad := a
	bad.TLSCertDigest = "abc"
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "AdmitNode", js(t, &bad))
	bad = a
	bad.Kind = "miner"
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "AdmitNode", js(t, &bad))
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "AdmitNode", strings.TrimSuffix(req, "}"))

	// The owning member must exist and be active.
	missing := admission("GhostMSP", "peer0", model.NodeTransaction)
	fail(t, l, c.Operator.Admin, model.CodeNotFound, "AdmitNode", js(t, &missing))
	pending := c.ApplyMember("SealMSP", model.MemberDepartment, model.DeptSeal)
	ofPending := admission(pending.ID, "peer0", model.NodeTransaction)
	fail(t, l, c.Operator.Admin, model.CodeState, "AdmitNode", js(t, &ofPending))

	// A different admission under an active node's name conflicts.
	succeed(t, l, c.Operator.Admin, model.EventNodeAdmitted, nil, "AdmitNode", req)
	moved := a
	moved.Endpoint = "elsewhere:7051"
	fail(t, l, c.Operator.Admin, model.CodeConflict, "AdmitNode", js(t, &moved))

	// A suspended member's node cannot be admitted.
	c.SuspendMember(dept)
	another := admission(dept.ID, "peer1", model.NodeTransaction)
	fail(t, l, c.Operator.Admin, model.CodeState, "AdmitNode", js(t, &another))
}

func TestRetireNode(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptMarket)
	a := admission(dept.ID, "orderer0", model.NodeConsensus)
	var n model.Node
	succeed(t, l, c.Operator.Admin, model.EventNodeAdmitted, &n, "AdmitNode", js(t, &a))
	retire := js(t, &model.NodeRetirement{Node: n.ID, Note: "decommissioned"})

	fail(t, l, dept.Admin, model.CodeDenied, "RetireNode", retire)
	fail(t, l, c.Operator.Client, model.CodeDenied, "RetireNode", retire)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "RetireNode", `{"node":"orderer0","note":"x"}`)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "RetireNode", js(t, &model.NodeRetirement{Node: n.ID}))
	fail(t, l, c.Operator.Admin, model.CodeNotFound, "RetireNode", js(t, &model.NodeRetirement{Node: model.NodeID("X", "y"), Note: "x"}))

	var r model.Node
	succeed(t, l, c.Operator.Admin, model.EventNodeRetired, &r, "RetireNode", retire)
	if r.Status != model.StatusRetired || r.Note != "decommissioned" || r.CreatedTx != n.CreatedTx || r.UpdatedTx == n.UpdatedTx {
		t.Fatalf("retired %+v", r)
	}
	unchanged(t, l, c.Operator.Admin, nil, "RetireNode", retire)
	fail(t, l, c.Operator.Admin, model.CodeState, "RetireNode", js(t, &model.NodeRetirement{Node: n.ID, Note: "again"}))

	// A retired node may come back, even in another role; the index follows.
	a.Kind = model.NodeTransaction
	var back model.Node
	succeed(t, l, c.Operator.Admin, model.EventNodeAdmitted, &back, "AdmitNode", js(t, &a))
	if back.ID != n.ID || back.Status != model.StatusActive || back.Note != "" || back.CreatedTx != n.CreatedTx {
		t.Fatalf("readmitted %+v", back)
	}
	if hasIndex(t, l, "node~kind", "consensus", n.ID) || !hasIndex(t, l, "node~kind", "transaction", n.ID) {
		t.Fatal("kind index not moved")
	}
}
