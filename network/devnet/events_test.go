package devnet_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/devnet"
)

// submitPuts submits Put(prefix-i, i) for i in [from, to) concurrently, so that
// blocks hold several transactions, and returns the values in commit order.
func submitPuts(t *testing.T, kv *client.Contract, prefix string, from, to int) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 10)
	for i := from; i < to; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := kv.SubmitTransaction("Put", fmt.Sprintf("%s-%03d", prefix, i), fmt.Sprint(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// TestChaincodeEvents_ResumeWithCheckpointer stops a client in the middle of a
// block's events and resumes from its checkpoint: every event arrives exactly once.
func TestChaincodeEvents_ResumeWithCheckpointer(t *testing.T) {
	// Blocks of exactly ten: ten submitters at a time fill a block at once.
	n := startNetwork(t, func(c *devnet.Config) { c.BatchSize = 10; c.BatchTimeout = 5 * time.Second })
	gw := connect(t, n, "OperatorMSP", "User1")
	network := gw.GetNetwork(devnet.DefaultChannel)
	kv := network.GetContract("kv")
	start := n.Ledger(devnet.DefaultChannel).Height()
	submitPuts(t, kv, "ev", 0, 20)

	seen := map[string]int{}
	var blocks []uint64 // block of each event, in arrival order
	checkpointer := new(client.InMemoryCheckpointer)
	read := func(limit int, wait time.Duration, opts ...client.ChaincodeEventsOption) int {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		events, err := network.ChaincodeEvents(ctx, "kv", opts...)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for got < limit {
			select {
			case ev := <-events:
				seen[string(ev.Payload)]++
				blocks = append(blocks, ev.BlockNumber)
				checkpointer.CheckpointChaincodeEvent(ev)
				got++
			case <-time.After(wait):
				return got
			}
		}
		return got
	}
	// Stop after 7 events: with several transactions per block, that is inside a block.
	if got := read(7, 5*time.Second, client.WithStartBlock(start)); got != 7 {
		t.Fatalf("first session read %d events", got)
	}
	submitPuts(t, kv, "ev", 20, 30)
	if got := read(23, 5*time.Second, client.WithCheckpoint(checkpointer)); got != 23 {
		t.Fatalf("resumed session read %d events, want 23", got)
	}
	if blocks[6] != blocks[7] {
		t.Fatalf("the first session stopped at the end of block %d; the test wants it inside a block", blocks[6])
	}
	if len(seen) != 30 {
		t.Fatalf("saw %d distinct events, want 30", len(seen))
	}
	for payload, count := range seen {
		if count != 1 {
			t.Errorf("event %s seen %d times", payload, count)
		}
	}
	// Nothing beyond the 30 events.
	if got := read(1, 500*time.Millisecond, client.WithCheckpoint(checkpointer)); got != 0 {
		t.Fatalf("resumed past the end and got %d events", got)
	}
}

// asn1Header is Fabric's block header encoding, written out here independently of
// the ledger package.
type asn1Header struct {
	Number       *big.Int
	PreviousHash []byte
	DataHash     []byte
}

func headerHash(t *testing.T, h *common.BlockHeader) []byte {
	t.Helper()
	der, err := asn1.Marshal(asn1Header{new(big.Int).SetUint64(h.Number), h.PreviousHash, h.DataHash})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

// TestBlockEvents_HashesAndSignaturesVerify reads every block through the SDK's
// block events and checks data hashes, header hash links and orderer signatures.
func TestBlockEvents_HashesAndSignaturesVerify(t *testing.T) {
	n := startNetwork(t)
	gw := connect(t, n, "OperatorMSP", "User1")
	network := gw.GetNetwork(devnet.DefaultChannel)
	submitPuts(t, network.GetContract("kv"), "blk", 0, 25)
	height := n.Ledger(devnet.DefaultChannel).Height()

	orderer, err := n.Crypto().Node(devnet.DefaultOrderer(), 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	blocks, err := network.BlockEvents(ctx, client.WithStartBlock(0))
	if err != nil {
		t.Fatal(err)
	}
	var prev *common.BlockHeader
	for i := uint64(0); i < height; i++ {
		var b *common.Block
		select {
		case b = <-blocks:
		case <-time.After(5 * time.Second):
			t.Fatalf("block %d not delivered", i)
		}
		if b.Header.Number != i {
			t.Fatalf("got block %d, want %d", b.Header.Number, i)
		}
		h := sha256.New()
		for _, d := range b.Data.Data {
			h.Write(d)
		}
		if !bytes.Equal(h.Sum(nil), b.Header.DataHash) {
			t.Fatalf("block %d: data hash mismatch", i)
		}
		if prev != nil && !bytes.Equal(b.Header.PreviousHash, headerHash(t, prev)) {
			t.Fatalf("block %d: previous hash does not match block %d", i, i-1)
		}
		if i > 0 {
			verifyBlockSignature(t, b, orderer.Key.Public().(*ecdsa.PublicKey))
		}
		if got := len(b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]); got != len(b.Data.Data) {
			t.Fatalf("block %d: %d validation codes for %d transactions", i, got, len(b.Data.Data))
		}
		prev = b.Header
	}
}

// verifyBlockSignature checks the orderer's signature in the SIGNATURES metadata:
// over the metadata value, the signature header and the ASN.1 block header.
func verifyBlockSignature(t *testing.T, b *common.Block, pub *ecdsa.PublicKey) {
	t.Helper()
	md := &common.Metadata{}
	if err := proto.Unmarshal(b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], md); err != nil {
		t.Fatal(err)
	}
	if len(md.Signatures) == 0 {
		t.Fatalf("block %d has no signature", b.Header.Number)
	}
	der, _ := asn1.Marshal(asn1Header{new(big.Int).SetUint64(b.Header.Number), b.Header.PreviousHash, b.Header.DataHash})
	msg := append(append(append([]byte{}, md.Value...), md.Signatures[0].SignatureHeader...), der...)
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, digest[:], md.Signatures[0].Signature) {
		t.Fatalf("block %d: orderer signature does not verify", b.Header.Number)
	}
}

// TestFilteredBlockEvents_CarryValidationCodes checks that filtered blocks give
// each transaction the code CommitStatus reports, and events without payloads.
func TestFilteredBlockEvents_CarryValidationCodes(t *testing.T) {
	n := startNetwork(t, func(c *devnet.Config) { c.BatchSize = 2; c.BatchTimeout = 3 * time.Second })
	gw := connect(t, n, "OperatorMSP", "User1")
	network := gw.GetNetwork(devnet.DefaultChannel)
	kv := network.GetContract("kv")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	filtered, err := network.FilteredBlockEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var commits []*client.Commit
	for range 2 {
		p, _ := kv.NewProposal("Incr", client.WithArguments("c"))
		tx, err := p.Endorse()
		if err != nil {
			t.Fatal(err)
		}
		commit, err := tx.Submit()
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, commit)
	}
	want := map[string]peer.TxValidationCode{}
	for _, c := range commits {
		st, err := c.Status()
		if err != nil {
			t.Fatal(err)
		}
		want[st.TransactionID] = st.Code
	}
	var fb *peer.FilteredBlock
	select {
	case fb = <-filtered:
	case <-time.After(5 * time.Second):
		t.Fatal("no filtered block")
	}
	if len(fb.FilteredTransactions) != 2 || fb.ChannelId != devnet.DefaultChannel {
		t.Fatalf("filtered block = %v", fb)
	}
	codes := map[peer.TxValidationCode]int{}
	for _, ft := range fb.FilteredTransactions {
		if ft.TxValidationCode != want[ft.Txid] {
			t.Errorf("tx %s: filtered code %s, commit status %s", ft.Txid, ft.TxValidationCode, want[ft.Txid])
		}
		codes[ft.TxValidationCode]++
	}
	if codes[peer.TxValidationCode_VALID] != 1 || codes[peer.TxValidationCode_MVCC_READ_CONFLICT] != 1 {
		t.Fatalf("codes = %v", codes)
	}

	// A Put's event appears in its filtered transaction without the payload.
	commits = commits[:0]
	for _, k := range []string{"x", "x2"} {
		_, commit, err := kv.SubmitAsync("Put", client.WithArguments(k, "y"))
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, commit)
	}
	for _, c := range commits {
		if st, err := c.Status(); err != nil || !st.Successful {
			t.Fatalf("put: %v, %v", st, err)
		}
	}
	select {
	case fb = <-filtered:
	case <-time.After(5 * time.Second):
		t.Fatal("no filtered block")
	}
	actions := fb.FilteredTransactions[0].GetTransactionActions().GetChaincodeActions()
	if len(actions) != 1 || actions[0].ChaincodeEvent.EventName != "put" || actions[0].ChaincodeEvent.Payload != nil {
		t.Fatalf("filtered actions = %v", actions)
	}
}
