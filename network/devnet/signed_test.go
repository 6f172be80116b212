package devnet_test

import (
	"context"
	"testing"
	"time"

	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// TestGateway_SignedRequestChecks sends CommitStatus and ChaincodeEvents requests
// with the faults the SDK cannot make: each gets the status a Fabric gateway gives.
func TestGateway_SignedRequestChecks(t *testing.T) {
	n := startNetwork(t)
	raw := gp.NewGatewayClient(dial(t, n))
	id, err := n.User("OperatorMSP", "User1")
	if err != nil {
		t.Fatal(err)
	}
	user, _ := msp.FromCryptogen(id)
	other, _ := n.User("MarketMSP", "User1")
	impostor, _ := msp.NewSigningIdentity("OperatorMSP", id.CertPEM, other.Key)
	ctx := context.Background()

	commitStatus := func(signer *msp.SigningIdentity, req *gp.CommitStatusRequest) error {
		b, _ := proto.Marshal(req)
		sig, _ := signer.Sign(b)
		_, err := raw.CommitStatus(ctx, &gp.SignedCommitStatusRequest{Request: b, Signature: sig})
		return err
	}
	ch := devnet.DefaultChannel
	for name, c := range map[string]struct {
		signer *msp.SigningIdentity
		req    *gp.CommitStatusRequest
		want   codes.Code
	}{
		"no identity":     {user, &gp.CommitStatusRequest{ChannelId: ch, TransactionId: "x"}, codes.InvalidArgument},
		"no channel":      {user, &gp.CommitStatusRequest{Identity: user.Serialize(), TransactionId: "x"}, codes.InvalidArgument},
		"no tx ID":        {user, &gp.CommitStatusRequest{Identity: user.Serialize(), ChannelId: ch}, codes.InvalidArgument},
		"bad signature":   {impostor, &gp.CommitStatusRequest{Identity: user.Serialize(), ChannelId: ch, TransactionId: "x"}, codes.PermissionDenied},
		"unknown channel": {user, &gp.CommitStatusRequest{Identity: user.Serialize(), ChannelId: "nochannel", TransactionId: "x"}, codes.PermissionDenied},
	} {
		if err := commitStatus(c.signer, c.req); status.Code(err) != c.want {
			t.Errorf("commit status, %s: %v, want %s", name, err, c.want)
		}
	}
	// An unknown transaction is waited for until the caller gives up.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	b, _ := proto.Marshal(&gp.CommitStatusRequest{Identity: user.Serialize(), ChannelId: ch, TransactionId: "never"})
	sig, _ := user.Sign(b)
	if _, err := raw.CommitStatus(short, &gp.SignedCommitStatusRequest{Request: b, Signature: sig}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("commit status of a transaction never submitted: %v", err)
	}

	events := func(signer *msp.SigningIdentity, req *gp.ChaincodeEventsRequest) error {
		b, _ := proto.Marshal(req)
		sig, _ := signer.Sign(b)
		stream, err := raw.ChaincodeEvents(ctx, &gp.SignedChaincodeEventsRequest{Request: b, Signature: sig})
		if err != nil {
			return err
		}
		_, err = stream.Recv()
		return err
	}
	oldest := &ab.SeekPosition{Type: &ab.SeekPosition_Oldest{Oldest: &ab.SeekOldest{}}}
	for name, c := range map[string]struct {
		signer *msp.SigningIdentity
		req    *gp.ChaincodeEventsRequest
		want   codes.Code
	}{
		"bad signature":         {impostor, &gp.ChaincodeEventsRequest{Identity: user.Serialize(), ChannelId: ch, ChaincodeId: "kv"}, codes.PermissionDenied},
		"unknown channel":       {user, &gp.ChaincodeEventsRequest{Identity: user.Serialize(), ChannelId: "nochannel", ChaincodeId: "kv"}, codes.PermissionDenied},
		"oldest is not a start": {user, &gp.ChaincodeEventsRequest{Identity: user.Serialize(), ChannelId: ch, ChaincodeId: "kv", StartPosition: oldest}, codes.InvalidArgument},
	} {
		if err := events(c.signer, c.req); status.Code(err) != c.want {
			t.Errorf("chaincode events, %s: %v, want %s", name, err, c.want)
		}
	}
	stream, err := raw.ChaincodeEvents(ctx, &gp.SignedChaincodeEventsRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("empty chaincode events request: %v", err)
	}
}
