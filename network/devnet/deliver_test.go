package devnet_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// seekEnvelope builds a signed DELIVER_SEEK_INFO envelope as Fabric's clients do.
func seekEnvelope(t *testing.T, signer *msp.SigningIdentity, channel string, start, stop *ab.SeekPosition, behavior ab.SeekInfo_SeekBehavior) *common.Envelope {
	t.Helper()
	chdr, _ := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_DELIVER_SEEK_INFO), ChannelId: channel})
	shdr, _ := proto.Marshal(&common.SignatureHeader{Creator: signer.Serialize(), Nonce: []byte("nonce")})
	data, _ := proto.Marshal(&ab.SeekInfo{Start: start, Stop: stop, Behavior: behavior})
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	return &common.Envelope{Payload: payload, Signature: sig}
}

func specified(n uint64) *ab.SeekPosition {
	return &ab.SeekPosition{Type: &ab.SeekPosition_Specified{Specified: &ab.SeekSpecified{Number: n}}}
}

// deliverAll sends one seek request and collects block numbers until the status.
func deliverAll(t *testing.T, stream peer.Deliver_DeliverClient, env *common.Envelope) ([]uint64, common.Status) {
	t.Helper()
	if err := stream.Send(env); err != nil {
		t.Fatal(err)
	}
	var nums []uint64
	for {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		switch r := resp.Type.(type) {
		case *peer.DeliverResponse_Block:
			nums = append(nums, r.Block.Header.Number)
		case *peer.DeliverResponse_Status:
			return nums, r.Status
		}
	}
}

func TestDeliver_SeekPositionsAndStatuses(t *testing.T) {
	n := startNetwork(t)
	gw := connect(t, n, "OperatorMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	for _, k := range []string{"a", "b", "c"} {
		if _, err := kv.SubmitTransaction("Put", k, k); err != nil {
			t.Fatal(err)
		}
	}
	height := n.Ledger(devnet.DefaultChannel).Height()
	id, err := n.User("OperatorMSP", "User1")
	if err != nil {
		t.Fatal(err)
	}
	user, err := msp.FromCryptogen(id)
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := n.User("MarketMSP", "User1")
	if err != nil {
		t.Fatal(err)
	}
	impostor, _ := msp.NewSigningIdentity("OperatorMSP", id.CertPEM, rogue.Key)

	client := peer.NewDeliverClient(dial(t, n))
	stream, err := client.Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	oldest := &ab.SeekPosition{Type: &ab.SeekPosition_Oldest{Oldest: &ab.SeekOldest{}}}
	newest := &ab.SeekPosition{Type: &ab.SeekPosition_Newest{Newest: &ab.SeekNewest{}}}
	ch := devnet.DefaultChannel
	block := ab.SeekInfo_BLOCK_UNTIL_READY
	cases := []struct {
		name   string
		env    *common.Envelope
		blocks int
		status common.Status
	}{
		{"oldest to newest", seekEnvelope(t, user, ch, oldest, newest, block), int(height), common.Status_SUCCESS},
		{"newest only", seekEnvelope(t, user, ch, newest, newest, block), 1, common.Status_SUCCESS},
		{"one block", seekEnvelope(t, user, ch, specified(1), specified(1), block), 1, common.Status_SUCCESS},
		{"stop before start", seekEnvelope(t, user, ch, specified(2), specified(1), block), 0, common.Status_BAD_REQUEST},
		{"not ready", seekEnvelope(t, user, ch, specified(height), specified(height), ab.SeekInfo_FAIL_IF_NOT_READY), 0, common.Status_NOT_FOUND},
		{"unknown channel", seekEnvelope(t, user, "nochannel", oldest, newest, block), 0, common.Status_NOT_FOUND},
		{"bad signature", seekEnvelope(t, impostor, ch, oldest, newest, block), 0, common.Status_FORBIDDEN},
		{"malformed", &common.Envelope{Payload: []byte{0xff, 0xff}}, 0, common.Status_BAD_REQUEST},
	}
	for _, c := range cases {
		nums, st := deliverAll(t, stream, c.env)
		if len(nums) != c.blocks || st != c.status {
			t.Errorf("%s: %d blocks, status %s; want %d, %s", c.name, len(nums), st, c.blocks, c.status)
		}
	}

	// A stream that waits for the next block gets it when it is committed.
	filtered, err := client.DeliverFiltered(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := filtered.Send(seekEnvelope(t, user, ch, specified(height), specified(math.MaxUint64), block)); err != nil {
		t.Fatal(err)
	}
	got := make(chan *peer.FilteredBlock, 1)
	go func() {
		resp, err := filtered.Recv()
		if err == nil {
			got <- resp.GetFilteredBlock()
		}
		close(got)
	}()
	if _, err := kv.SubmitTransaction("Put", "d", "d"); err != nil {
		t.Fatal(err)
	}
	select {
	case fb := <-got:
		if fb.GetNumber() != height || len(fb.GetFilteredTransactions()) != 1 || fb.FilteredTransactions[0].TxValidationCode != peer.TxValidationCode_VALID {
			t.Fatalf("waited-for block = %v", fb)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the next block was not delivered")
	}

	private, err := client.DeliverWithPrivateData(context.Background())
	if err == nil {
		private.Send(seekEnvelope(t, user, ch, oldest, newest, block))
		_, err = private.Recv()
	}
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("DeliverWithPrivateData: %v, want Unimplemented", err)
	}
}

func TestNetwork_OpsEndpointAndFastRestart(t *testing.T) {
	dir := t.TempDir()
	start := func() *devnet.Network {
		n, err := devnet.Start(devnet.Config{
			Dir: dir, Listen: "127.0.0.1:0", OpsListen: "127.0.0.1:0",
			Chaincodes: map[string]shim.Chaincode{"kv": kvChaincode(t)}, BatchTimeout: 20 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := start()
	gw := connect(t, n, "OperatorMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	for _, k := range []string{"a", "b"} {
		if _, err := kv.SubmitTransaction("Put", k, "v"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kv.SubmitTransaction("Fail"); err == nil {
		t.Fatal("Fail succeeded")
	}
	resp, err := http.Get("http://" + n.OpsAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]string
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || health["status"] != "OK" {
		t.Fatalf("healthz = %d %v", resp.StatusCode, health)
	}
	resp, err = http.Get("http://" + n.OpsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`devnet_ledger_height{channel="kaiban"} 3`,
		`devnet_transactions_total{channel="kaiban",code="VALID"} 2`,
		`devnet_transactions_per_second{channel="kaiban"}`,
		`devnet_gateway_duration_seconds_count{method="endorse"} 2`,
		`devnet_commit_latency_seconds_count{channel="kaiban"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	reports, err := devnet.Verify(dir)
	if err != nil || len(reports) != 1 || reports[0].Channel != devnet.DefaultChannel || reports[0].Blocks != 3 || reports[0].Valid != 3 || reports[0].Keys != 2 {
		t.Fatalf("verify = %+v, %v; want one channel of 3 blocks and 3 valid transactions (genesis included), 2 keys", reports, err)
	}

	began := time.Now()
	n = start()
	if d := time.Since(began); d > time.Second {
		t.Errorf("restart on an existing data directory took %s", d)
	}
	defer n.Close()
	gw = connect(t, n, "OperatorMSP", "User1")
	if got, err := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv").EvaluateTransaction("Get", "b"); err != nil || string(got) != "v" {
		t.Fatalf("after restart: %q, %v", got, err)
	}
}
