package channelcfg

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// ConfigEnvelope returns the config envelope of a config block (a genesis
// block or a channel's last config block).
func ConfigEnvelope(block *cb.Block) (*cb.ConfigEnvelope, *cb.Payload, error) {
	if block == nil || block.Data == nil || len(block.Data.Data) != 1 {
		return nil, nil, errors.New("not a config block: want exactly one envelope")
	}
	env := &cb.Envelope{}
	if err := proto.Unmarshal(block.Data.Data[0], env); err != nil {
		return nil, nil, fmt.Errorf("unmarshal envelope: %w", err)
	}
	payload := &cb.Payload{}
	if err := proto.Unmarshal(env.Payload, payload); err != nil {
		return nil, nil, fmt.Errorf("unmarshal payload: %w", err)
	}
	if payload.Header == nil {
		return nil, nil, errors.New("config envelope has no header")
	}
	ch := &cb.ChannelHeader{}
	if err := proto.Unmarshal(payload.Header.ChannelHeader, ch); err != nil {
		return nil, nil, fmt.Errorf("unmarshal channel header: %w", err)
	}
	if ch.Type != int32(cb.HeaderType_CONFIG) {
		return nil, nil, fmt.Errorf("not a config block: header type %s", cb.HeaderType(ch.Type))
	}
	ce := &cb.ConfigEnvelope{}
	if err := proto.Unmarshal(payload.Data, ce); err != nil {
		return nil, nil, fmt.Errorf("unmarshal config envelope: %w", err)
	}
	if ce.Config == nil || ce.Config.ChannelGroup == nil {
		return nil, nil, errors.New("config envelope has no channel group")
	}
	return ce, payload, nil
}

// ConfigFromBlock returns the channel configuration a config block carries.
func ConfigFromBlock(block *cb.Block) (*cb.Config, error) {
	ce, _, err := ConfigEnvelope(block)
	if err != nil {
		return nil, err
	}
	return ce.Config, nil
}

// ChannelID returns the channel a block belongs to, from its first envelope.
func ChannelID(block *cb.Block) (string, error) {
	_, payload, err := ConfigEnvelope(block)
	if err != nil {
		return "", err
	}
	ch := &cb.ChannelHeader{}
	if err := proto.Unmarshal(payload.Header.ChannelHeader, ch); err != nil {
		return "", err
	}
	return ch.ChannelId, nil
}

// rewriteConfig changes the configuration inside an unsigned genesis block and
// recomputes the block's data hash.
func rewriteConfig(block *cb.Block, change func(*cb.Config) error) (*cb.Block, error) {
	ce, payload, err := ConfigEnvelope(block)
	if err != nil {
		return nil, err
	}
	if err := change(ce.Config); err != nil {
		return nil, err
	}
	if payload.Data, err = proto.Marshal(ce); err != nil {
		return nil, err
	}
	env := &cb.Envelope{}
	if env.Payload, err = proto.Marshal(payload); err != nil {
		return nil, err
	}
	data, err := proto.Marshal(env)
	if err != nil {
		return nil, err
	}
	out := proto.Clone(block).(*cb.Block)
	out.Data.Data = [][]byte{data}
	sum := sha256.Sum256(bytes.Join(out.Data.Data, nil))
	out.Header.DataHash = sum[:]
	return out, nil
}
