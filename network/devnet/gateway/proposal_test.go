package gateway

import (
	"crypto/x509"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// proposalParts are the fields of a proposal a test may spoil.
type proposalParts struct {
	headerType int32
	epoch      uint64
	nonce      []byte
	creator    []byte
	txID       string
	channel    string
	chaincode  string
	extension  []byte
	input      *peer.ChaincodeInput
	noSig      bool
}

func buildProposal(t *testing.T, signer *msp.SigningIdentity, p proposalParts) *peer.SignedProposal {
	t.Helper()
	ext := p.extension
	if ext == nil {
		ext, _ = proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: p.chaincode}})
	}
	chdr, _ := proto.Marshal(&common.ChannelHeader{Type: p.headerType, ChannelId: p.channel, TxId: p.txID, Epoch: p.epoch, Extension: ext})
	shdr, _ := proto.Marshal(&common.SignatureHeader{Creator: p.creator, Nonce: p.nonce})
	hdr, _ := proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	cis, _ := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: p.chaincode}, Input: p.input}})
	payload, _ := proto.Marshal(&peer.ChaincodeProposalPayload{Input: cis})
	prop, _ := proto.Marshal(&peer.Proposal{Header: hdr, Payload: payload})
	sp := &peer.SignedProposal{ProposalBytes: prop}
	if !p.noSig {
		sp.Signature, _ = signer.Sign(prop)
	}
	return sp
}

func TestProposal_EndorserChecks(t *testing.T) {
	ca, err := cryptogen.NewCA("ca", "org1.example.com")
	if err != nil {
		t.Fatal(err)
	}
	members, _ := msp.NewVerifier([]msp.Org{{MSPID: "Org1MSP", RootCerts: []*x509.Certificate{ca.Cert}}})
	cert, key, _ := ca.Issue(cryptogen.IdentityRequest{CommonName: "User1", Role: cryptogen.RoleClient})
	signer, _ := msp.NewSigningIdentity("Org1MSP", cryptogen.CertPEM(cert), key)
	good := func() proposalParts {
		nonce := []byte("nonce")
		return proposalParts{
			headerType: int32(common.HeaderType_ENDORSER_TRANSACTION), nonce: nonce, creator: signer.Serialize(),
			txID: computeTxID(nonce, signer.Serialize()), channel: "ch", chaincode: "cc",
			input: &peer.ChaincodeInput{Args: [][]byte{[]byte("f")}},
		}
	}
	cases := []struct {
		name  string
		spoil func(*proposalParts)
		want  string
	}{
		{"valid", func(*proposalParts) {}, ""},
		{"header type", func(p *proposalParts) { p.headerType = int32(common.HeaderType_MESSAGE) }, "invalid header type MESSAGE"},
		{"epoch", func(p *proposalParts) { p.epoch = 1 }, "epoch is non-zero"},
		{"nonce", func(p *proposalParts) { p.nonce = nil }, "nonce is empty"},
		{"creator", func(p *proposalParts) { p.creator = nil }, "creator is empty"},
		{"tx ID", func(p *proposalParts) { p.txID = "abc" }, "incorrectly computed txid 'abc'"},
		{"signature", func(p *proposalParts) { p.noSig = true }, "empty signature bytes"},
		{"extension", func(p *proposalParts) { p.extension = []byte{0xff} }, "error unmarshalling ChaincodeHeaderExtension"},
		{"no chaincode ID", func(p *proposalParts) { p.extension, _ = proto.Marshal(&peer.ChaincodeHeaderExtension{}) }, "ChaincodeHeaderExtension.ChaincodeId is nil"},
		{"no input", func(p *proposalParts) { p.input = nil }, "chaincode input did not contain any input"},
	}
	for _, c := range cases {
		parts := good()
		c.spoil(&parts)
		p, err := unpackProposal(buildProposal(t, signer, parts))
		if err != nil {
			t.Fatalf("%s: unpack: %v", c.name, err)
		}
		// checkForPeer needs a ledger only after validation; validate alone here.
		err = p.checkHeaderAndInput()
		if err == nil {
			err = p.validate(members)
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestProposal_GatewayUnpackErrors(t *testing.T) {
	for name, sp := range map[string]*peer.SignedProposal{
		"empty":      {},
		"junk":       {ProposalBytes: []byte{0xff, 0xff}},
		"no channel": buildProposal(t, nil, proposalParts{noSig: true, chaincode: "cc"}),
		"no name":    buildProposal(t, nil, proposalParts{noSig: true, channel: "ch"}),
	} {
		if _, err := unpackProposal(sp); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
