package ledger

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// GenesisBlock returns a configuration block 0 for channel channelID holding cfg, built
// as Fabric's configtxgen builds a genesis block: one unsigned CONFIG envelope whose
// transaction ID is derived from a random nonce, and LAST_CONFIG and SIGNATURES
// metadata pointing at block 0 without signatures. When cfg is nil a minimal channel
// configuration is used: SHA-256 hashing, V3_0 channel capability, and the orderer's
// batch size and timeout; it parses as a config block but defines no organisations (a
// caller that needs them builds cfg with fabric-config).
func GenesisBlock(channelID string, cfg *common.Config, batchSize int, batchTimeout time.Duration) (*common.Block, error) {
	if cfg == nil {
		var err error
		if cfg, err = minimalConfig(batchSize, batchTimeout); err != nil {
			return nil, err
		}
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("genesis nonce: %w", err)
	}
	shdr := &common.SignatureHeader{Nonce: nonce}
	txid := sha256.Sum256(nonce)
	chdr := &common.ChannelHeader{
		Type:      int32(common.HeaderType_CONFIG),
		ChannelId: channelID,
		Timestamp: timestamppb.New(time.Now().UTC().Truncate(time.Second)),
		TxId:      hex.EncodeToString(txid[:]),
	}
	configEnv, err := proto.Marshal(&common.ConfigEnvelope{Config: cfg})
	if err != nil {
		return nil, fmt.Errorf("marshal config envelope: %w", err)
	}
	payload, err := proto.Marshal(&common.Payload{
		Header: &common.Header{ChannelHeader: mustMarshal(chdr), SignatureHeader: mustMarshal(shdr)},
		Data:   configEnv,
	})
	if err != nil {
		return nil, fmt.Errorf("marshal genesis payload: %w", err)
	}
	env := mustMarshal(&common.Envelope{Payload: payload})
	block := newBlock(0, nil, [][]byte{env})
	block.Metadata.Metadata[common.BlockMetadataIndex_LAST_CONFIG] = mustMarshal(&common.Metadata{
		Value: mustMarshal(&common.LastConfig{Index: 0}),
	})
	block.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = mustMarshal(&common.Metadata{
		Value: mustMarshal(&common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: 0}}),
	})
	block.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{0}
	return block, nil
}

// newBlock returns block num with data, its data hash and previous hash set and empty
// metadata slots, as protoutil.NewBlock does.
func newBlock(num uint64, prevHash []byte, data [][]byte) *common.Block {
	b := &common.Block{
		Header: &common.BlockHeader{Number: num, PreviousHash: prevHash},
		Data:   &common.BlockData{Data: data},
		Metadata: &common.BlockMetadata{
			Metadata: make([][]byte, len(common.BlockMetadataIndex_name)),
		},
	}
	for i := range b.Metadata.Metadata {
		b.Metadata.Metadata[i] = []byte{}
	}
	b.Header.DataHash = DataHash(b.Data)
	return b
}

func minimalConfig(batchSize int, batchTimeout time.Duration) (*common.Config, error) {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	if batchTimeout <= 0 {
		batchTimeout = DefaultBatchTimeout
	}
	value := func(m proto.Message) *common.ConfigValue {
		return &common.ConfigValue{Value: mustMarshal(m), ModPolicy: "Admins"}
	}
	capabilities := func(name string) *common.ConfigValue {
		return value(&common.Capabilities{Capabilities: map[string]*common.Capability{name: {}}})
	}
	return &common.Config{
		ChannelGroup: &common.ConfigGroup{
			Groups: map[string]*common.ConfigGroup{
				"Application": {
					Values:    map[string]*common.ConfigValue{"Capabilities": capabilities("V2_5")},
					ModPolicy: "Admins",
				},
				"Orderer": {
					Values: map[string]*common.ConfigValue{
						"BatchSize": value(&orderer.BatchSize{
							MaxMessageCount:   uint32(batchSize),
							AbsoluteMaxBytes:  99 << 20,
							PreferredMaxBytes: DefaultBatchBytes,
						}),
						"BatchTimeout":  value(&orderer.BatchTimeout{Timeout: batchTimeout.String()}),
						"ConsensusType": value(&orderer.ConsensusType{Type: "etcdraft"}),
						"Capabilities":  capabilities("V2_0"),
					},
					ModPolicy: "Admins",
				},
			},
			Values: map[string]*common.ConfigValue{
				"HashingAlgorithm":          value(&common.HashingAlgorithm{Name: "SHA256"}),
				"BlockDataHashingStructure": value(&common.BlockDataHashingStructure{Width: math.MaxUint32}),
				"Capabilities":              capabilities("V3_0"),
			},
			ModPolicy: "Admins",
		},
	}, nil
}

// mustMarshal marshals a message built here; proto.Marshal fails only on invalid
// UTF-8 in string fields or missing required fields, which these messages cannot have.
func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", m, err))
	}
	return b
}
