package ledger

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// identity is a test signing identity: an ECDSA P-256 key and a self-signed
// certificate, serialized as Fabric serializes identities.
type identity struct {
	mspID      string
	key        *ecdsa.PrivateKey
	serialized []byte
}

func newIdentity(t testing.TB, mspID string) *identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: mspID + "-member"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		t.Fatal(err)
	}
	return &identity{mspID: mspID, key: key, serialized: sid}
}

func (id *identity) Serialize() ([]byte, error) { return id.serialized, nil }

func (id *identity) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	return ecdsa.SignASN1(rand.Reader, id.key, digest[:])
}

func (id *identity) mustSign(msg []byte) []byte {
	sig, err := id.Sign(msg)
	if err != nil {
		panic(err)
	}
	return sig
}

// verifier knows the test identities by their serialized form and checks ECDSA
// signatures as an MSP does.
type verifier struct {
	mu    sync.Mutex
	known map[string]*identity
	// remembered holds signatures known to be valid, as devnet's msp verifier
	// remembers the signatures its gateway verified and its peers made.
	remembered map[[32]byte]bool
}

func sigKey(identity, msg, sig []byte) [32]byte {
	return sha256.Sum256(bytes.Join([][]byte{identity, msg, sig}, []byte{0}))
}

func (v *verifier) remember(identity, msg, sig []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.remembered == nil {
		v.remembered = map[[32]byte]bool{}
	}
	v.remembered[sigKey(identity, msg, sig)] = true
}

func newVerifier(ids ...*identity) *verifier {
	v := &verifier{known: map[string]*identity{}}
	for _, id := range ids {
		v.known[string(id.serialized)] = id
	}
	return v
}

func (v *verifier) Verify(creator, msg, sig []byte) error {
	v.mu.Lock()
	id, ok := v.known[string(creator)]
	if v.remembered != nil && v.remembered[sigKey(creator, msg, sig)] {
		v.mu.Unlock()
		return nil
	}
	v.mu.Unlock()
	if !ok {
		return errors.New("unknown identity")
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(&id.key.PublicKey, digest[:], sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

// policy requires endorsements from at least n distinct organisations for each
// namespace it knows.
type policy map[string]int

func (p policy) Evaluate(ns string, endorsers [][]byte) error {
	n, ok := p[ns]
	if !ok {
		return fmt.Errorf("namespace %s: %w", ns, ErrUnknownNamespace)
	}
	orgs := map[string]bool{}
	for _, e := range endorsers {
		sid := &msp.SerializedIdentity{}
		if err := proto.Unmarshal(e, sid); err != nil {
			return err
		}
		orgs[sid.Mspid] = true
	}
	if len(orgs) < n {
		return fmt.Errorf("%d of %d organisations endorsed", len(orgs), n)
	}
	return nil
}

// network is a test channel: a client, two endorsing peers and an orderer.
type network struct {
	client, peer1, peer2, orderer *identity
	verifier                      *verifier
	policy                        policy
	// remember makes build tell the verifier of every signature it makes.
	remember bool
}

const testChannel = "kaiban"

func newNetwork(t testing.TB) *network {
	n := &network{
		client:  newIdentity(t, "Org1MSP"),
		peer1:   newIdentity(t, "Org1MSP"),
		peer2:   newIdentity(t, "Org2MSP"),
		orderer: newIdentity(t, "OrdererMSP"),
		policy:  policy{"asset": 2, "subject": 1},
	}
	n.verifier = newVerifier(n.client, n.peer1, n.peer2, n.orderer)
	return n
}

func (n *network) config(dir string) Config {
	return Config{
		Dir:          dir,
		ChannelID:    testChannel,
		BatchSize:    10,
		BatchTimeout: 50 * time.Millisecond,
		Orderer:      n.orderer,
		Identities:   n.verifier,
		Policy:       n.policy,
	}
}

func openLedger(t testing.TB, cfg Config) *Ledger {
	t.Helper()
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// txSpec describes an endorser transaction to build.
type txSpec struct {
	channel   string
	chaincode string
	version   string // default "1.0"
	creator   *identity
	endorsers []*identity
	rwset     []txsim.NsReadWriteSet
	event     *peer.ChaincodeEvent
	// tamper, when set, changes the parts before they are signed and assembled.
	tamper func(*txParts)
	nonce  []byte
}

// txParts are the pieces of a transaction envelope, exposed for tampering.
type txParts struct {
	chdr          *common.ChannelHeader
	shdr          *common.SignatureHeader
	ccPropPayload []byte
	action        *peer.ChaincodeAction
	prp           *peer.ProposalResponsePayload
	endorsements  []*peer.Endorsement
	envSignature  []byte
	signer        *identity
	// proposalHash is computed from the tampered headers unless tamper sets it.
	proposalHash []byte
}

// build returns the transaction envelope a Fabric gateway would submit for spec, and
// its transaction ID.
func (n *network) build(t testing.TB, spec txSpec) (*common.Envelope, string) {
	t.Helper()
	if spec.channel == "" {
		spec.channel = testChannel
	}
	if spec.chaincode == "" {
		spec.chaincode = "asset"
	}
	if spec.version == "" {
		spec.version = "1.0"
	}
	if spec.creator == nil {
		spec.creator = n.client
	}
	if spec.endorsers == nil {
		spec.endorsers = []*identity{n.peer1, n.peer2}
	}
	nonce := spec.nonce
	if nonce == nil {
		nonce = make([]byte, 24)
		rand.Read(nonce)
	}
	txID := txsim.ComputeTxID(nonce, spec.creator.serialized)
	ext, _ := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: spec.chaincode}})
	p := &txParts{
		chdr: &common.ChannelHeader{
			Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: spec.channel, TxId: txID,
			Timestamp: timestamppb.Now(), Extension: ext,
		},
		shdr:   &common.SignatureHeader{Creator: spec.creator.serialized, Nonce: nonce},
		signer: spec.creator,
	}
	cis, _ := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		ChaincodeId: &peer.ChaincodeID{Name: spec.chaincode},
		Input:       &peer.ChaincodeInput{Args: [][]byte{[]byte("Invoke")}},
	}})
	p.ccPropPayload, _ = proto.Marshal(&peer.ChaincodeProposalPayload{Input: cis})
	rws, err := txsim.EncodeReadWriteSet(spec.rwset)
	if err != nil {
		t.Fatal(err)
	}
	results, _ := proto.Marshal(rws)
	var events []byte
	if spec.event != nil {
		events, _ = proto.Marshal(spec.event)
	}
	p.action = &peer.ChaincodeAction{
		Results:     results,
		Events:      events,
		Response:    &peer.Response{Status: 200},
		ChaincodeId: &peer.ChaincodeID{Name: spec.chaincode, Version: spec.version},
	}
	if spec.tamper != nil {
		spec.tamper(p)
	}
	chdrBytes, _ := proto.Marshal(p.chdr)
	shdrBytes, _ := proto.Marshal(p.shdr)
	if p.proposalHash == nil {
		h := sha256.New()
		h.Write(chdrBytes)
		h.Write(shdrBytes)
		h.Write(p.ccPropPayload)
		p.proposalHash = h.Sum(nil)
	}
	ext2, _ := proto.Marshal(p.action)
	prpBytes, _ := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: p.proposalHash, Extension: ext2})
	if p.endorsements == nil {
		for _, e := range spec.endorsers {
			msg := append(append([]byte{}, prpBytes...), e.serialized...)
			p.endorsements = append(p.endorsements, &peer.Endorsement{Endorser: e.serialized, Signature: e.mustSign(msg)})
			if n.remember {
				n.verifier.remember(e.serialized, msg, p.endorsements[len(p.endorsements)-1].Signature)
			}
		}
	}
	ccap, _ := proto.Marshal(&peer.ChaincodeActionPayload{
		ChaincodeProposalPayload: p.ccPropPayload,
		Action:                   &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prpBytes, Endorsements: p.endorsements},
	})
	txBytes, _ := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: shdrBytes, Payload: ccap}}})
	payload, _ := proto.Marshal(&common.Payload{
		Header: &common.Header{ChannelHeader: chdrBytes, SignatureHeader: shdrBytes},
		Data:   txBytes,
	})
	sig := p.envSignature
	if sig == nil {
		sig = p.signer.mustSign(payload)
		if n.remember {
			n.verifier.remember(p.signer.serialized, payload, sig)
		}
	}
	return &common.Envelope{Payload: payload, Signature: sig}, p.chdr.TxId
}

// kv builds one namespace of a read/write set.
type kv struct {
	ns     string
	reads  map[string]*txsim.Version // nil version: read of a missing key
	writes map[string]string         // "" deletes
	ranges []*kvrwset.RangeQueryInfo
}

func rwsetOf(sets ...kv) []txsim.NsReadWriteSet {
	var out []txsim.NsReadWriteSet
	for _, s := range sets {
		k := &kvrwset.KVRWSet{RangeQueriesInfo: s.ranges}
		for _, key := range sortedKeys(s.reads) {
			var v *kvrwset.Version
			if r := s.reads[key]; r != nil {
				v = &kvrwset.Version{BlockNum: r.BlockNum, TxNum: r.TxNum}
			}
			k.Reads = append(k.Reads, &kvrwset.KVRead{Key: key, Version: v})
		}
		for _, key := range sortedKeys(s.writes) {
			val := s.writes[key]
			k.Writes = append(k.Writes, &kvrwset.KVWrite{Key: key, Value: []byte(val), IsDelete: val == ""})
		}
		out = append(out, txsim.NsReadWriteSet{Namespace: s.ns, KVRWSet: k})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func writeSet(ns string, writes map[string]string) []txsim.NsReadWriteSet {
	return rwsetOf(kv{ns: ns, writes: writes})
}

// rawRWSet marshals a read/write set for tests that need a broken one.
func rawRWSet(t testing.TB, rws *rwset.TxReadWriteSet) []byte {
	b, err := proto.Marshal(rws)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
