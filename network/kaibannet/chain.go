package kaibannet

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	gwproto "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/status"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
)

// gateway connects to the Fabric Gateway of an organisation's first peer as
// one of its users, with the unmodified fabric-gateway client kaiban uses.
func (n *Network) gateway(o *consortium.Org, user string) (*client.Gateway, error) {
	if len(o.Nodes) == 0 {
		return nil, fmt.Errorf("org %s has no peer", o.MSPID)
	}
	id, err := n.user(o, user)
	if err != nil {
		return nil, err
	}
	xid, err := identity.NewX509Identity(o.MSPID, id.Cert)
	if err != nil {
		return nil, err
	}
	sign, err := identity.NewPrivateKeySign(id.Key)
	if err != nil {
		return nil, err
	}
	c, err := n.conn(consortium.NodeRef{Org: o, Node: o.Nodes[0]}, o)
	if err != nil {
		return nil, err
	}
	return client.Connect(xid, client.WithSign(sign), client.WithClientConnection(c),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(60*time.Second),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(2*time.Minute))
}

// ChaincodeError is a chaincode's refusal as a client sees it: the model error
// code (NOT_FOUND, STATE, ...) when the chaincode classified it.
type ChaincodeError struct {
	Code    model.Code
	Message string
	Err     error
}

func (e *ChaincodeError) Error() string { return e.Message }
func (e *ChaincodeError) Unwrap() error { return e.Err }

// chaincodeError digs the chaincode's messages out of a gateway error (they
// travel as ErrorDetail in the gRPC status) and classifies them.
func chaincodeError(err error) error {
	if err == nil {
		return nil
	}
	msgs := []string{err.Error()}
	// status.FromError finds the status of the gateway error wrapped inside
	// fabric-gateway's EndorseError, SubmitError, ...
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(*gwproto.ErrorDetail); ok {
				msgs = append(msgs, fmt.Sprintf("%s (%s): %s", ed.GetAddress(), ed.GetMspId(), ed.GetMessage()))
			}
		}
	}
	msg := strings.Join(dedupe(msgs), "; ")
	ce := &ChaincodeError{Message: msg, Err: err}
	if pe := model.ParseError(msg); pe != nil {
		ce.Code = pe.Code
	}
	return ce
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Submit submits a transaction on a channel as a user of an organisation and
// returns its result once committed.
func (n *Network) Submit(ctx context.Context, o *consortium.Org, user, channel, chaincode, fn string, args ...string) ([]byte, error) {
	gw, err := n.gateway(o, user)
	if err != nil {
		return nil, err
	}
	defer gw.Close()
	res, err := gw.GetNetwork(channel).GetContract(chaincode).SubmitWithContext(ctx, fn, client.WithArguments(args...))
	return res, chaincodeError(err)
}

// Evaluate evaluates a transaction on a channel as a user of an organisation.
func (n *Network) Evaluate(ctx context.Context, o *consortium.Org, user, channel, chaincode, fn string, args ...string) ([]byte, error) {
	gw, err := n.gateway(o, user)
	if err != nil {
		return nil, err
	}
	defer gw.Close()
	res, err := gw.GetNetwork(channel).GetContract(chaincode).EvaluateWithContext(ctx, fn, client.WithArguments(args...))
	return res, chaincodeError(err)
}

// SignRequest returns the canonical JSON of a request and the base64 SM2
// signature by key over model.SigningMessage(action, canonical): the two
// arguments of a signed Kaiban transaction.
func SignRequest(key *sm2.PrivateKey, action string, request any) (canonical, signature string, err error) {
	raw, err := model.Canonical(request)
	if err != nil {
		return "", "", err
	}
	sig, err := gm.Sign(key, model.SigningMessage(action, raw))
	if err != nil {
		return "", "", err
	}
	return string(raw), base64.StdEncoding.EncodeToString(sig), nil
}
