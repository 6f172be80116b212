package ledger

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// Broadcast enqueues env for ordering, as an orderer's Broadcast does. It checks only
// that the envelope parses, is an endorser transaction and is for the ledger's channel
// (ErrBadEnvelope, ErrWrongChannel); everything else is checked when its block is
// validated. It waits while the ordering queue is full.
func (l *Ledger) Broadcast(env *common.Envelope) error {
	data, err := proto.Marshal(env)
	if err != nil {
		return fmt.Errorf("marshal envelope: %w", ErrBadEnvelope)
	}
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil || payload.Header == nil {
		return fmt.Errorf("envelope payload has no header: %w", ErrBadEnvelope)
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.Header.ChannelHeader, chdr); err != nil {
		return fmt.Errorf("envelope channel header: %w", ErrBadEnvelope)
	}
	if chdr.ChannelId != l.cfg.ChannelID {
		return fmt.Errorf("channel %q (the orderer serves %q): %w", chdr.ChannelId, l.cfg.ChannelID, ErrWrongChannel)
	}
	if common.HeaderType(chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION {
		return fmt.Errorf("header type %s is not supported by devnet's orderer: %w", common.HeaderType(chdr.Type), ErrBadEnvelope)
	}

	l.inMu.RLock()
	defer l.inMu.RUnlock()
	if l.inClosed {
		return ErrClosed
	}
	if err := l.failure(); err != nil {
		return err
	}
	l.seqMu.Lock()
	defer l.seqMu.Unlock()
	l.in <- arrival{seq: l.seq, data: data}
	l.seq++
	return nil
}

// arrival is an envelope accepted by Broadcast, numbered in the order of acceptance.
type arrival struct {
	seq  uint64
	data []byte
}

// pendingTx is an envelope on its way to a block, with the result of the checks that
// need no state.
type pendingTx struct {
	seq     uint64
	data    []byte
	checked checkedTx
	took    time.Duration
}

// checker runs the checks that need no state (signatures, identities, policies) on
// envelopes as they arrive, on VerifyWorkers goroutines, so that they are done while
// the block fills rather than after it is cut.
func (l *Ledger) checker(out chan<- pendingTx) {
	for a := range l.in {
		start := time.Now()
		c := l.checkTx(a.data)
		out <- pendingTx{seq: a.seq, data: a.data, checked: c, took: time.Since(start)}
	}
}

// cutter is the ordering service's block cutter (Fabric's blockcutter with a solo
// consenter): it batches envelopes by count, bytes and timeout, numbers, chains and
// signs the blocks and hands them to the committer. Checks finish out of order; the
// cutter puts envelopes back in the order Broadcast accepted them, as an orderer keeps
// the order of the envelopes it acknowledged.
func (l *Ledger) cutter(next uint64, prevHash []byte, in <-chan pendingTx, out chan<- *blockJob) {
	defer close(out)
	var (
		batch   []pendingTx
		bytes   int
		timer   *time.Timer
		timeC   <-chan time.Time
		nextSeq uint64
		early   = map[uint64]pendingTx{}
	)
	cut := func() {
		if timer != nil {
			timer.Stop()
			timer, timeC = nil, nil
		}
		if len(batch) == 0 {
			return
		}
		data := make([][]byte, len(batch))
		job := &blockJob{txs: make([]checkedTx, len(batch))}
		for i, p := range batch {
			data[i], job.txs[i] = p.data, p.checked
			job.validate += p.took
		}
		job.block = newBlock(next, prevHash, data)
		batch, bytes = nil, 0
		if err := l.signBlock(job.block); err != nil {
			// The envelopes are dropped; Broadcast refuses new ones from now on.
			l.fail(fmt.Errorf("sign block %d: %w", next, err))
			return
		}
		out <- job
		next++
		prevHash = HeaderHash(job.block.Header)
	}
	add := func(p pendingTx) {
		if bytes+len(p.data) > l.cfg.BatchBytes {
			cut()
		}
		batch = append(batch, p)
		bytes += len(p.data)
		if len(batch) >= l.cfg.BatchSize || bytes >= l.cfg.BatchBytes {
			cut()
		}
		if len(batch) > 0 && timer == nil {
			timer = time.NewTimer(l.cfg.BatchTimeout)
			timeC = timer.C
		}
	}
	for {
		select {
		case p, ok := <-in:
			if !ok {
				cut()
				return
			}
			early[p.seq] = p
			for {
				q, ok := early[nextSeq]
				if !ok {
					break
				}
				delete(early, nextSeq)
				nextSeq++
				add(q)
			}
		case <-timeC:
			timer, timeC = nil, nil
			cut()
		}
	}
}

// signBlock sets the block's LAST_CONFIG and SIGNATURES metadata as Fabric's orderer
// block writer does: the signature covers the OrdererBlockMetadata value, the
// signature header and the header bytes.
func (l *Ledger) signBlock(block *common.Block) error {
	creator, err := l.cfg.Orderer.Serialize()
	if err != nil {
		return fmt.Errorf("serialize orderer identity: %w", err)
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("nonce: %w", err)
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce})
	if err != nil {
		return err
	}
	value := mustMarshal(&common.OrdererBlockMetadata{
		LastConfig:        &common.LastConfig{Index: 0},
		ConsenterMetadata: mustMarshal(&common.Metadata{}),
	})
	msg := make([]byte, 0, len(value)+len(shdr)+64)
	msg = append(append(append(msg, value...), shdr...), HeaderBytes(block.Header)...)
	sig, err := l.cfg.Orderer.Sign(msg)
	if err != nil {
		return err
	}
	block.Metadata.Metadata[common.BlockMetadataIndex_LAST_CONFIG] = mustMarshal(&common.Metadata{
		Value: mustMarshal(&common.LastConfig{Index: 0}),
	})
	block.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = mustMarshal(&common.Metadata{
		Value:      value,
		Signatures: []*common.MetadataSignature{{SignatureHeader: shdr, Signature: sig}},
	})
	return nil
}
