package ledger

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"google.golang.org/protobuf/proto"
)

// submit broadcasts the envelopes and waits for each transaction's status.
func submit(t *testing.T, l *Ledger, envs ...*common.Envelope) []TxStatus {
	t.Helper()
	var ids []string
	for _, env := range envs {
		if err := l.Broadcast(env); err != nil {
			t.Fatalf("Broadcast: %v", err)
		}
		p := &common.Payload{}
		proto.Unmarshal(env.Payload, p)
		chdr := &common.ChannelHeader{}
		proto.Unmarshal(p.Header.ChannelHeader, chdr)
		ids = append(ids, chdr.TxId)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []TxStatus
	for _, id := range ids {
		st, err := l.WaitForTx(ctx, id)
		if err != nil {
			t.Fatalf("WaitForTx(%s): %v", id, err)
		}
		out = append(out, st)
	}
	return out
}

// inOneBlock returns a config whose blocks are cut by count only, so that the n
// envelopes submitted together land in one block.
func inOneBlock(cfg Config, n int) Config {
	cfg.BatchSize, cfg.BatchTimeout = n, time.Minute
	return cfg
}

func value(t *testing.T, l *Ledger, ns, key string) *txsim.VersionedValue {
	t.Helper()
	s, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.GetState(ns, key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLedger_GenesisBlockParsesAndSurvivesReopen(t *testing.T) {
	n := newNetwork(t)
	dir := t.TempDir()
	l, err := Open(n.config(dir))
	if err != nil {
		t.Fatal(err)
	}
	if l.Height() != 1 {
		t.Fatalf("Height = %d, want 1", l.Height())
	}
	g, err := l.Block(0)
	if err != nil {
		t.Fatal(err)
	}
	env := &common.Envelope{}
	if err := proto.Unmarshal(g.Data.Data[0], env); err != nil {
		t.Fatal(err)
	}
	payload := &common.Payload{}
	proto.Unmarshal(env.Payload, payload)
	chdr := &common.ChannelHeader{}
	proto.Unmarshal(payload.Header.ChannelHeader, chdr)
	if common.HeaderType(chdr.Type) != common.HeaderType_CONFIG || chdr.ChannelId != testChannel {
		t.Fatalf("genesis header %v", chdr)
	}
	ce := &common.ConfigEnvelope{}
	if err := proto.Unmarshal(payload.Data, ce); err != nil || ce.Config.GetChannelGroup().GetGroups()["Orderer"] == nil {
		t.Fatalf("config envelope: %v %v", ce, err)
	}
	if st, err := l.TxStatus(chdr.TxId); err != nil || st.Code != peer.TxValidationCode_VALID || st.BlockNumber != 0 {
		t.Fatalf("genesis tx status %+v %v", st, err)
	}
	hash := HeaderHash(g.Header)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLedger(t, n.config(dir))
	g2, _ := l.Block(0)
	if l.Height() != 1 || !bytes.Equal(HeaderHash(g2.Header), hash) {
		t.Fatal("genesis block changed on reopen")
	}
}

// TestLedger_BlocksAreFabricBlocks re-reads the block file independently of the
// ledger and checks every block as a Fabric tool would: data hash, previous-hash chain
// over ASN.1 header hashes, orderer signature, LAST_CONFIG and TRANSACTIONS_FILTER.
func TestLedger_BlocksAreFabricBlocks(t *testing.T) {
	n := newNetwork(t)
	dir := t.TempDir()
	cfg := n.config(dir)
	cfg.BatchSize = 3
	l := openLedger(t, cfg)
	var envs []*common.Envelope
	for i := range 7 {
		env, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{string(rune('a' + i)): "v"})})
		envs = append(envs, env)
	}
	for _, st := range submit(t, l, envs...) {
		if st.Code != peer.TxValidationCode_VALID {
			t.Fatalf("tx %s: %v", st.TxID, st.Code)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(filepath.Join(dir, BlocksFile))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*common.Block
	for len(raw) > 0 {
		size := int(raw[0])<<24 | int(raw[1])<<16 | int(raw[2])<<8 | int(raw[3])
		b := &common.Block{}
		if err := proto.Unmarshal(raw[8:8+size], b); err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
		raw = raw[8+size:]
	}
	if len(blocks) < 4 {
		t.Fatalf("%d blocks, want at least 4 (genesis and 7 transactions by 3)", len(blocks))
	}
	txs := 0
	for i, b := range blocks {
		if b.Header.Number != uint64(i) {
			t.Fatalf("block %d numbered %d", i, b.Header.Number)
		}
		sum := sha256.Sum256(bytes.Join(b.Data.Data, nil))
		if !bytes.Equal(sum[:], b.Header.DataHash) {
			t.Fatalf("block %d: data hash mismatch", i)
		}
		if i > 0 {
			if !bytes.Equal(b.Header.PreviousHash, asn1HeaderHash(t, blocks[i-1].Header)) {
				t.Fatalf("block %d: previous hash mismatch", i)
			}
		}
		if len(b.Metadata.Metadata) != len(common.BlockMetadataIndex_name) {
			t.Fatalf("block %d: %d metadata entries", i, len(b.Metadata.Metadata))
		}
		filter := b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		if len(filter) != len(b.Data.Data) {
			t.Fatalf("block %d: filter of %d for %d txs", i, len(filter), len(b.Data.Data))
		}
		for _, c := range filter {
			if peer.TxValidationCode(c) != peer.TxValidationCode_VALID {
				t.Fatalf("block %d: code %v", i, peer.TxValidationCode(c))
			}
		}
		lc := &common.Metadata{}
		proto.Unmarshal(b.Metadata.Metadata[common.BlockMetadataIndex_LAST_CONFIG], lc)
		last := &common.LastConfig{}
		if err := proto.Unmarshal(lc.Value, last); err != nil || last.Index != 0 {
			t.Fatalf("block %d: LAST_CONFIG %v %v", i, last, err)
		}
		if i == 0 {
			continue
		}
		txs += len(b.Data.Data)
		if len(b.Data.Data) > 3 {
			t.Fatalf("block %d has %d txs, batch size is 3", i, len(b.Data.Data))
		}
		md := &common.Metadata{}
		if err := proto.Unmarshal(b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], md); err != nil || len(md.Signatures) != 1 {
			t.Fatalf("block %d: signatures %v %v", i, md, err)
		}
		obm := &common.OrdererBlockMetadata{}
		if err := proto.Unmarshal(md.Value, obm); err != nil || obm.LastConfig.GetIndex() != 0 {
			t.Fatalf("block %d: orderer block metadata %v %v", i, obm, err)
		}
		sig := md.Signatures[0]
		shdr := &common.SignatureHeader{}
		proto.Unmarshal(sig.SignatureHeader, shdr)
		if !bytes.Equal(shdr.Creator, n.orderer.serialized) || len(shdr.Nonce) == 0 {
			t.Fatalf("block %d: signature header %v", i, shdr)
		}
		msg := append(append(append([]byte{}, md.Value...), sig.SignatureHeader...), asn1HeaderBytes(t, b.Header)...)
		digest := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(&n.orderer.key.PublicKey, digest[:], sig.Signature) {
			t.Fatalf("block %d: orderer signature does not verify", i)
		}
	}
	if txs != 7 {
		t.Fatalf("%d transactions in blocks, want 7", txs)
	}
	rep, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Blocks != uint64(len(blocks)) || rep.Transactions != 8 || rep.Valid != 8 || rep.Keys != 7 {
		t.Fatalf("Verify report %+v", rep)
	}
}

func TestLedger_WritesAndVersions(t *testing.T) {
	n := newNetwork(t)
	l := openLedger(t, n.config(t.TempDir()))
	env, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"k": "v1"})})
	st := submit(t, l, env)[0]
	got := value(t, l, "asset", "k")
	if got == nil || string(got.Value) != "v1" || got.Version != (txsim.Version{BlockNum: st.BlockNumber, TxNum: st.TxNum}) {
		t.Fatalf("state after write: %+v (tx %+v)", got, st)
	}
	v := got.Version
	env, _ = n.build(t, txSpec{rwset: rwsetOf(kv{ns: "asset", reads: map[string]*txsim.Version{"k": &v}, writes: map[string]string{"k": ""}})})
	if st := submit(t, l, env)[0]; st.Code != peer.TxValidationCode_VALID {
		t.Fatalf("delete: %v", st.Code)
	}
	if got := value(t, l, "asset", "k"); got != nil {
		t.Fatalf("state after delete: %+v", got)
	}
	s, _ := l.Snapshot()
	defer s.Close()
	it, _ := s.History("asset", "k")
	defer it.Close()
	first, _ := it.Next()
	second, _ := it.Next()
	if first == nil || !first.IsDelete || second == nil || string(second.Value) != "v1" {
		t.Fatalf("history %v, %v", first, second)
	}
	if s.Height() != l.Height() {
		t.Fatalf("snapshot height %d, ledger %d", s.Height(), l.Height())
	}
}

// TestLedger_MVCCConflictInOneBlock sends two transactions that read and write the
// same key in one block: the first is VALID, the second MVCC_READ_CONFLICT, and only
// the first one's write is committed.
func TestLedger_MVCCConflictInOneBlock(t *testing.T) {
	n := newNetwork(t)
	cfg := n.config(t.TempDir())
	l := openLedger(t, cfg)
	env, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"k": "v0"})})
	submit(t, l, env)
	v := value(t, l, "asset", "k").Version
	l.Close()

	l = openLedger(t, inOneBlock(cfg, 2))
	a, _ := n.build(t, txSpec{rwset: rwsetOf(kv{ns: "asset", reads: map[string]*txsim.Version{"k": &v}, writes: map[string]string{"k": "A"}})})
	b, _ := n.build(t, txSpec{rwset: rwsetOf(kv{ns: "asset", reads: map[string]*txsim.Version{"k": &v}, writes: map[string]string{"k": "B"}})})
	sts := submit(t, l, a, b)
	if sts[0].BlockNumber != sts[1].BlockNumber {
		t.Fatalf("transactions in blocks %d and %d", sts[0].BlockNumber, sts[1].BlockNumber)
	}
	if sts[0].Code != peer.TxValidationCode_VALID || sts[1].Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("codes %v, %v", sts[0].Code, sts[1].Code)
	}
	if got := value(t, l, "asset", "k"); string(got.Value) != "A" {
		t.Fatalf("value %q, want A", got.Value)
	}
	// A stale read in a later block conflicts with committed state too.
	c, _ := n.build(t, txSpec{rwset: rwsetOf(kv{ns: "asset", reads: map[string]*txsim.Version{"k": &v}, writes: map[string]string{"k": "C"}})})
	d, _ := n.build(t, txSpec{rwset: rwsetOf(kv{ns: "asset", reads: map[string]*txsim.Version{"k": &v}})})
	sts = submit(t, l, c, d)
	if sts[0].Code != peer.TxValidationCode_MVCC_READ_CONFLICT || sts[1].Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("stale reads: %v, %v", sts[0].Code, sts[1].Code)
	}
}

// TestLedger_PhantomRead: a range query recorded before a key was inserted into the
// range is a PHANTOM_READ_CONFLICT, whether the insert is committed or earlier in the
// same block.
func TestLedger_PhantomRead(t *testing.T) {
	n := newNetwork(t)
	cfg := n.config(t.TempDir())
	l := openLedger(t, inOneBlock(cfg, 2))
	rq := func() []*kvrwset.RangeQueryInfo {
		return []*kvrwset.RangeQueryInfo{{StartKey: "r1", EndKey: "r9", ItrExhausted: true,
			ReadsInfo: &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{}}}}
	}
	insert, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"r5": "x"})})
	scan, _ := n.build(t, txSpec{rwset: rwsetOf(kv{ns: "asset", ranges: rq(), writes: map[string]string{"out": "1"}})})
	sts := submit(t, l, insert, scan)
	if sts[0].Code != peer.TxValidationCode_VALID || sts[1].Code != peer.TxValidationCode_PHANTOM_READ_CONFLICT {
		t.Fatalf("same block: %v, %v", sts[0].Code, sts[1].Code)
	}
	scan2, _ := n.build(t, txSpec{rwset: rwsetOf(kv{ns: "asset", ranges: rq()})})
	other, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"zz": "1"})})
	sts = submit(t, l, scan2, other)
	if sts[0].Code != peer.TxValidationCode_PHANTOM_READ_CONFLICT {
		t.Fatalf("against committed state: %v", sts[0].Code)
	}
	if value(t, l, "asset", "out") != nil {
		t.Fatal("write of a phantom-conflicted transaction was committed")
	}
}

func TestLedger_DuplicateTxID(t *testing.T) {
	n := newNetwork(t)
	cfg := n.config(t.TempDir())
	l := openLedger(t, inOneBlock(cfg, 3))
	nonce := []byte("a fixed nonce of 24 bytes")
	a, idA := n.build(t, txSpec{nonce: nonce, rwset: writeSet("asset", map[string]string{"d": "1"})})
	b, idB := n.build(t, txSpec{nonce: nonce, rwset: writeSet("asset", map[string]string{"d": "2"})})
	c, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"e": "1"})})
	if idA != idB {
		t.Fatal("same nonce and creator gave different IDs")
	}
	if err := l.Broadcast(a); err != nil {
		t.Fatal(err)
	}
	if err := l.Broadcast(b); err != nil {
		t.Fatal(err)
	}
	st := submit(t, l, c)[0]
	blk, _ := l.Block(st.BlockNumber)
	filter := blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	if peer.TxValidationCode(filter[0]) != peer.TxValidationCode_VALID || peer.TxValidationCode(filter[1]) != peer.TxValidationCode_DUPLICATE_TXID {
		t.Fatalf("codes in block: %v", filter)
	}
	if got := value(t, l, "asset", "d"); string(got.Value) != "1" {
		t.Fatalf("value %q, want the first transaction's", got.Value)
	}
	if st, _ := l.TxStatus(idA); st.TxNum != 0 || st.Code != peer.TxValidationCode_VALID {
		t.Fatalf("status of duplicated ID %+v, want the first", st)
	}
	// Replayed in a later block, the ID is a duplicate of a committed transaction.
	d, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"f": "1"})})
	e, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"g": "1"})})
	if err := l.Broadcast(a); err != nil {
		t.Fatal(err)
	}
	st = submit(t, l, d, e)[1]
	blk, _ = l.Block(st.BlockNumber)
	if code := peer.TxValidationCode(blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][0]); code != peer.TxValidationCode_DUPLICATE_TXID {
		t.Fatalf("replayed transaction: %v", code)
	}
}

func TestLedger_BroadcastRefusals(t *testing.T) {
	n := newNetwork(t)
	l := openLedger(t, n.config(t.TempDir()))
	wrong, _ := n.build(t, txSpec{channel: "other", rwset: writeSet("asset", map[string]string{"k": "v"})})
	if err := l.Broadcast(wrong); !errors.Is(err, ErrWrongChannel) {
		t.Fatalf("wrong channel: %v", err)
	}
	for _, env := range []*common.Envelope{{}, {Payload: []byte("garbage")}, {Payload: []byte{0x0a, 0x02, 0x0a, 0x00}}} {
		if err := l.Broadcast(env); !errors.Is(err, ErrBadEnvelope) && !errors.Is(err, ErrWrongChannel) {
			t.Fatalf("Broadcast(%v): %v, want a refusal", env, err)
		}
	}
	if l.Height() != 1 {
		t.Fatal("a refused envelope was ordered")
	}
	l.Close()
	good, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"k": "v"})})
	if err := l.Broadcast(good); !errors.Is(err, ErrClosed) {
		t.Fatalf("Broadcast after Close: %v", err)
	}
	if err := l.Err(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Err after Close: %v", err)
	}
}

func TestLedger_WaitForTxAndWatch(t *testing.T) {
	n := newNetwork(t)
	l := openLedger(t, n.config(t.TempDir()))
	h, next := l.Watch()
	env, id := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"w": "1"})})
	if _, err := l.TxStatus(id); !errors.Is(err, ErrTxNotFound) {
		t.Fatalf("TxStatus before commit: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if _, err := l.WaitForTx(ctx, id); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForTx of a tx never sent: %v", err)
	}
	cancel()
	done := make(chan TxStatus)
	go func() {
		st, _ := l.WaitForTx(context.Background(), id)
		done <- st
	}()
	time.Sleep(10 * time.Millisecond)
	if err := l.Broadcast(env); err != nil {
		t.Fatal(err)
	}
	select {
	case <-next:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch channel not closed by a commit")
	}
	st := <-done
	if st.Code != peer.TxValidationCode_VALID || st.BlockNumber != h {
		t.Fatalf("status %+v, want VALID in block %d", st, h)
	}
	if got, _ := l.TxStatus(id); got != st {
		t.Fatalf("TxStatus %+v, WaitForTx %+v", got, st)
	}
	if _, err := l.Block(l.Height()); !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("Block(height): %v", err)
	}
	// Close releases a waiter.
	_, id2 := n.build(t, txSpec{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		l.Close()
	}()
	if _, err := l.WaitForTx(context.Background(), id2); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitForTx across Close: %v", err)
	}
	_, next = l.Watch()
	select {
	case <-next:
	default:
		t.Fatal("Watch channel open after Close")
	}
}

// TestLedger_CloseCommitsPendingEnvelopes: envelopes accepted by Broadcast are cut and
// committed by Close even though their batch timeout has not passed.
func TestLedger_CloseCommitsPendingEnvelopes(t *testing.T) {
	n := newNetwork(t)
	dir := t.TempDir()
	cfg := n.config(dir)
	cfg.BatchTimeout = time.Hour
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env, id := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"p": "1"})})
	if err := l.Broadcast(env); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLedger(t, cfg)
	if st, err := l.TxStatus(id); err != nil || st.Code != peer.TxValidationCode_VALID {
		t.Fatalf("pending tx after Close: %+v %v", st, err)
	}
}

func TestLedger_BatchBytesCutsBlocks(t *testing.T) {
	n := newNetwork(t)
	cfg := n.config(t.TempDir())
	cfg.BatchSize, cfg.BatchTimeout = 100, 300*time.Millisecond
	env, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"b0": "v"})})
	size := len(mustMarshal(env))
	cfg.BatchBytes = 2*size + size/2 // two envelopes fit, a third does not
	l := openLedger(t, cfg)
	var envs []*common.Envelope
	for i := range 4 {
		e, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"b" + string(rune('0'+i)): "v"})})
		envs = append(envs, e)
	}
	sts := submit(t, l, envs...)
	if sts[0].BlockNumber != sts[1].BlockNumber || sts[2].BlockNumber != sts[3].BlockNumber || sts[1].BlockNumber == sts[2].BlockNumber {
		t.Fatalf("blocks %d %d %d %d, want two blocks of two", sts[0].BlockNumber, sts[1].BlockNumber, sts[2].BlockNumber, sts[3].BlockNumber)
	}
}

// asn1HeaderBytes encodes a block header as DER by hand, independently of
// HeaderBytes: SEQUENCE { INTEGER number, OCTET STRING previous hash, OCTET STRING
// data hash }.
func asn1HeaderBytes(t *testing.T, h *common.BlockHeader) []byte {
	t.Helper()
	tlv := func(tag byte, content []byte) []byte {
		out := []byte{tag}
		switch n := len(content); {
		case n < 0x80:
			out = append(out, byte(n))
		case n < 0x100:
			out = append(out, 0x81, byte(n))
		default:
			out = append(out, 0x82, byte(n>>8), byte(n))
		}
		return append(out, content...)
	}
	num := new(big.Int).SetUint64(h.Number).Bytes()
	if len(num) == 0 || num[0]&0x80 != 0 {
		num = append([]byte{0}, num...)
	}
	body := append(append(tlv(0x02, num), tlv(0x04, h.PreviousHash)...), tlv(0x04, h.DataHash)...)
	der := tlv(0x30, body)
	if !bytes.Equal(der, HeaderBytes(h)) {
		t.Fatalf("HeaderBytes of block %d differs from the DER encoding", h.Number)
	}
	return der
}

func asn1HeaderHash(t *testing.T, h *common.BlockHeader) []byte {
	sum := sha256.Sum256(asn1HeaderBytes(t, h))
	return sum[:]
}

// TestLedger_GenesisWithoutFilter accepts a genesis block as configtxgen and
// fabric-config make it, with no TRANSACTIONS_FILTER, and marks its transaction valid.
func TestLedger_GenesisWithoutFilter(t *testing.T) {
	n := newNetwork(t)
	g, err := GenesisBlock(testChannel, nil, 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	g.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{}
	cfg := n.config(t.TempDir())
	cfg.Genesis = g
	l := openLedger(t, cfg)
	b, _ := l.Block(0)
	if f := b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]; len(f) != 1 || f[0] != 0 {
		t.Fatalf("genesis filter %v", f)
	}
	if len(g.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]) != 0 {
		t.Fatal("caller's genesis block modified")
	}
	env, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"k": "v"})})
	if st := submit(t, l, env)[0]; st.Code != peer.TxValidationCode_VALID || st.BlockNumber != 1 {
		t.Fatalf("first tx %+v", st)
	}
	l.Close()
	if _, err := Verify(cfg.Dir); err != nil {
		t.Fatal(err)
	}
}

func TestLedger_GenesisOfAnotherChannelRefused(t *testing.T) {
	n := newNetwork(t)
	g, err := GenesisBlock("other", nil, 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cfg := n.config(t.TempDir())
	cfg.Genesis = g
	if l, err := Open(cfg); err == nil {
		l.Close()
		t.Fatal("Open with another channel's genesis block succeeded")
	}
}

// TestLedger_KeepsBroadcastOrder: envelopes are checked in parallel but ordered as
// Broadcast accepted them, so blind writes of one key by successive submissions end
// with the last one, as on a Fabric orderer.
func TestLedger_KeepsBroadcastOrder(t *testing.T) {
	n := newNetwork(t)
	cfg := n.config(t.TempDir())
	cfg.VerifyWorkers, cfg.BatchSize = 4, 7
	l := openLedger(t, cfg)
	var envs []*common.Envelope
	for i := range 40 {
		spec := txSpec{rwset: writeSet("asset", map[string]string{"k": string(rune('A' + i))})}
		if i%3 == 0 {
			// Slower to check: more endorsements.
			spec.endorsers = []*identity{n.peer1, n.peer2, n.peer1, n.peer2}
		}
		env, _ := n.build(t, spec)
		envs = append(envs, env)
	}
	sts := submit(t, l, envs...)
	for i := 1; i < len(sts); i++ {
		prev, cur := sts[i-1], sts[i]
		if cur.BlockNumber < prev.BlockNumber || (cur.BlockNumber == prev.BlockNumber && cur.TxNum <= prev.TxNum) {
			t.Fatalf("tx %d at %d:%d is not after tx %d at %d:%d", i, cur.BlockNumber, cur.TxNum, i-1, prev.BlockNumber, prev.TxNum)
		}
	}
	if got := value(t, l, "asset", "k"); string(got.Value) != string(rune('A'+39)) {
		t.Fatalf("last write %q", got.Value)
	}
}
