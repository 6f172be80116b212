package devnet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet"
)

// TestGateway_Rejections sends requests a real gateway refuses and checks the gRPC
// status and ErrorDetail the client sees, and that nothing reached the ledger.
func TestGateway_Rejections(t *testing.T) {
	n := startNetwork(t)
	conn := dial(t, n)
	operator := devnet.DefaultOrgs()[0]
	user, err := n.User("OperatorMSP", "User1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := n.User("MarketMSP", "User1")
	if err != nil {
		t.Fatal(err)
	}
	orgCA, err := cryptogen.LoadCA(n.Crypto().CADir(operator))
	if err != nil {
		t.Fatal(err)
	}
	expiredCert, expiredKey, err := orgCA.Issue(cryptogen.IdentityRequest{
		CommonName: "Old@" + operator.Domain, Role: cryptogen.RoleClient,
		NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	rogueCA, err := cryptogen.NewCA("ca", "rogue.example.com")
	if err != nil {
		t.Fatal(err)
	}
	rogueCert, rogueKey, err := rogueCA.Issue(cryptogen.IdentityRequest{CommonName: "Eve@rogue.example.com", Role: cryptogen.RoleClient})
	if err != nil {
		t.Fatal(err)
	}
	peerID, err := n.Crypto().Node(operator, 0)
	if err != nil {
		t.Fatal(err)
	}
	ch := devnet.DefaultChannel
	denied := "error validating proposal: access denied: channel [kaiban] creator org [OperatorMSP]"
	cases := []struct {
		name            string
		gw              *client.Gateway
		channel, cc     string
		endorseCode     codes.Code
		evaluateCode    codes.Code
		detailSubstring string
	}{
		{"bad signature", connectAs(t, conn, "OperatorMSP", user.Cert, other.Key), ch, "kv", codes.Aborted, codes.FailedPrecondition, denied},
		{"unknown org", connectAs(t, conn, "RogueMSP", rogueCert, rogueKey), ch, "kv", codes.Aborted, codes.FailedPrecondition,
			"error validating proposal: access denied: channel [kaiban] creator org unknown, creator is malformed"},
		{"CA of another org", connectAs(t, conn, "OperatorMSP", rogueCert, rogueKey), ch, "kv", codes.Aborted, codes.FailedPrecondition, denied},
		{"expired certificate", connectAs(t, conn, "OperatorMSP", expiredCert, expiredKey), ch, "kv", codes.Aborted, codes.FailedPrecondition, denied},
		{"peer identity is not a writer", connectAs(t, conn, "OperatorMSP", peerID.Cert, peerID.Key), ch, "kv", codes.Aborted, codes.FailedPrecondition, "/Channel/Application/Writers"},
		{"unknown channel", connectAs(t, conn, "OperatorMSP", user.Cert, user.Key), "nochannel", "kv", codes.FailedPrecondition, codes.Unavailable, ""},
		{"unknown chaincode", connectAs(t, conn, "OperatorMSP", user.Cert, user.Key), ch, "nochaincode", codes.FailedPrecondition, codes.FailedPrecondition, ""},
	}
	l := n.Ledger(ch)
	height := l.Height()
	for _, c := range cases {
		contract := c.gw.GetNetwork(c.channel).GetContract(c.cc)
		_, err := contract.SubmitTransaction("Put", "rejected", c.name)
		var endorseErr *client.EndorseError
		if !errors.As(err, &endorseErr) || status.Code(err) != c.endorseCode {
			t.Errorf("%s: submit err = %v, want EndorseError %s", c.name, err, c.endorseCode)
			continue
		}
		if c.detailSubstring != "" {
			d := endorseErr.Details()
			if len(d) != 1 || !strings.Contains(d[0].Message, c.detailSubstring) || d[0].MspId != "OperatorMSP" || d[0].Address != n.Addr() {
				t.Errorf("%s: endorse details = %v, want one from OperatorMSP containing %q", c.name, d, c.detailSubstring)
			}
		}
		_, err = contract.EvaluateTransaction("Get", "rejected")
		if status.Code(err) != c.evaluateCode {
			t.Errorf("%s: evaluate err = %v, want %s", c.name, err, c.evaluateCode)
		}
	}
	if l.Height() != height {
		t.Fatalf("rejected requests changed the height from %d to %d", height, l.Height())
	}
	good := connectAs(t, conn, "OperatorMSP", user.Cert, user.Key).GetNetwork(ch).GetContract("kv")
	if _, err := good.EvaluateTransaction("Get", "rejected"); err == nil {
		t.Fatal("a rejected transaction wrote state")
	}
}

// TestGateway_MalformedRequests calls the Gateway service directly with requests
// the SDK would never build.
func TestGateway_MalformedRequests(t *testing.T) {
	n := startNetwork(t)
	raw := gp.NewGatewayClient(dial(t, n))
	ctx := context.Background()
	junk := &peer.SignedProposal{ProposalBytes: []byte{0xff, 0xff, 0xff}, Signature: []byte{1}}
	if _, err := raw.Endorse(ctx, &gp.EndorseRequest{ProposedTransaction: junk}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("endorse of junk: %v", err)
	}
	if _, err := raw.Evaluate(ctx, &gp.EvaluateRequest{ProposedTransaction: junk}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("evaluate of junk: %v", err)
	}
	if _, err := raw.Endorse(ctx, &gp.EndorseRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("endorse of nothing: %v", err)
	}
	unsigned := &gp.SubmitRequest{ChannelId: devnet.DefaultChannel, PreparedTransaction: &common.Envelope{Payload: []byte{1}}}
	if _, err := raw.Submit(ctx, unsigned); status.Code(err) != codes.InvalidArgument {
		t.Errorf("submit unsigned: %v", err)
	}
	badPayload := &gp.SubmitRequest{ChannelId: devnet.DefaultChannel, PreparedTransaction: &common.Envelope{Payload: []byte{0xff, 0xff}, Signature: []byte{1}}}
	if _, err := raw.Submit(ctx, badPayload); status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "status=BAD_REQUEST") {
		t.Errorf("submit bad payload: %v", err)
	}
	if _, err := raw.CommitStatus(ctx, &gp.SignedCommitStatusRequest{Request: []byte{0xff}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("commit status of junk: %v", err)
	}
	if n.Ledger(devnet.DefaultChannel).Height() != 1 {
		t.Fatal("malformed requests reached the ledger")
	}
}

// TestGateway_ReplayedTransactionID replays an endorsed and committed transaction
// twice: as a new proposal (refused at endorsement) and as the same signed
// envelope (ordered, then invalidated as DUPLICATE_TXID without writing).
func TestGateway_ReplayedTransactionID(t *testing.T) {
	n := startNetwork(t)
	gw := connect(t, n, "OperatorMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	proposal, err := kv.NewProposal("Put", client.WithArguments("r", "1"))
	if err != nil {
		t.Fatal(err)
	}
	proposalBytes, err := proposal.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := proposal.Endorse()
	if err != nil {
		t.Fatal(err)
	}
	commit, err := tx.Submit()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := commit.Status(); err != nil || !st.Successful {
		t.Fatalf("first submit: %v, %v", st, err)
	}
	if _, err := kv.SubmitTransaction("Put", "r", "2"); err != nil {
		t.Fatal(err)
	}

	replayed, err := gw.NewProposal(proposalBytes)
	if err != nil {
		t.Fatal(err)
	}
	_, err = replayed.Endorse()
	var endorseErr *client.EndorseError
	if !errors.As(err, &endorseErr) || status.Code(err) != codes.Aborted ||
		len(endorseErr.Details()) != 1 || !strings.HasPrefix(endorseErr.Details()[0].Message, "duplicate transaction found ["+tx.TransactionID()+"]") {
		t.Fatalf("replayed proposal: %v", err)
	}

	envelope, err := tx.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	again, err := gw.NewTransaction(envelope)
	if err != nil {
		t.Fatal(err)
	}
	l := n.Ledger(devnet.DefaultChannel)
	height := l.Height()
	if _, err := again.Submit(); err != nil {
		t.Fatalf("the orderer accepts a replayed envelope, as Fabric's does: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for l.Height() == height && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	b, err := l.Block(height)
	if err != nil {
		t.Fatal(err)
	}
	if codes := b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]; len(codes) != 1 || peer.TxValidationCode(codes[0]) != peer.TxValidationCode_DUPLICATE_TXID {
		t.Fatalf("replayed envelope codes = %v, want [DUPLICATE_TXID]", codes)
	}
	if got, _ := kv.EvaluateTransaction("Get", "r"); string(got) != "2" {
		t.Fatalf("r = %q after the replay, want 2", got)
	}
}
