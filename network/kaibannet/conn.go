package kaibannet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"

	"github.com/hyperledger/fabric-admin-sdk/pkg/channel"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	ob "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/kaiban-platform/kaiban/network/channelcfg"
	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/participation"
)

// conn returns a gRPC connection to a node over TLS, presenting the TLS
// client certificate of the admin of org (orderers bind deliver requests to
// it). Connections are cached until Close.
func (n *Network) conn(r consortium.NodeRef, as *consortium.Org) (*grpc.ClientConn, error) {
	key := r.Name() + "|" + as.MSPID
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.conns[key]; ok {
		return c, nil
	}
	roots, err := n.tlsRoots(r.Org)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: r.Name(), MinVersion: tls.VersionTLS12}
	if cert, err := n.adminTLS(as); err == nil {
		cfg.Certificates = []tls.Certificate{cert}
	}
	c, err := grpc.NewClient(n.Spec.Endpoint(r).External, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", r.Name(), err)
	}
	n.conns[key] = c
	return c, nil
}

// participation returns a channel participation API client of an orderer;
// r may be an orderer already taken out of the spec.
func (n *Network) participation(r consortium.NodeRef) (*participation.Client, error) {
	roots, err := n.tlsRoots(&n.Spec.Orderer)
	if err != nil {
		return nil, err
	}
	cert, err := n.adminTLS(&n.Spec.Orderer)
	if err != nil {
		return nil, err
	}
	return participation.New(n.Spec.Endpoint(r).Admin, r.Name(), roots, cert), nil
}

// configBlock fetches the latest config block of a channel from the first
// orderer that answers.
func (n *Network) configBlock(ctx context.Context, channelName string) (*cb.Block, error) {
	admin, err := n.adminSDK(&n.Spec.Orderer)
	if err != nil {
		return nil, err
	}
	cert, err := n.adminTLS(&n.Spec.Orderer)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, r := range n.Spec.Orderers() {
		c, err := n.conn(r, &n.Spec.Orderer)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		block, err := channel.GetConfigBlockFromOrderer(ctx, c, admin, channelName, cert)
		if err == nil {
			return block, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", r.Name(), err))
	}
	return nil, fmt.Errorf("fetch config block of %s: %w", channelName, errors.Join(errs...))
}

// channelConfig fetches the current configuration of a channel.
func (n *Network) channelConfig(ctx context.Context, channelName string) (*cb.Config, *cb.Block, error) {
	block, err := n.configBlock(ctx, channelName)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := channelcfg.ConfigFromBlock(block)
	return cfg, block, err
}

// broadcast sends an envelope to the orderers, one after the other until one
// accepts it.
func (n *Network) broadcast(ctx context.Context, env *cb.Envelope) error {
	var errs []error
	for _, r := range n.Spec.Orderers() {
		c, err := n.conn(r, &n.Spec.Orderer)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = broadcastTo(ctx, c, env)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", r.Name(), err))
	}
	return fmt.Errorf("broadcast: %w", errors.Join(errs...))
}

// BroadcastError is an orderer's refusal of an envelope.
type BroadcastError struct {
	Status cb.Status
	Info   string
}

func (e *BroadcastError) Error() string {
	return fmt.Sprintf("orderer answered %s: %s", e.Status, e.Info)
}

func broadcastTo(ctx context.Context, c *grpc.ClientConn, env *cb.Envelope) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := ob.NewAtomicBroadcastClient(c).Broadcast(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(env); err != nil {
		return err
	}
	resp, err := stream.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	_ = stream.CloseSend()
	if resp.GetStatus() != cb.Status_SUCCESS {
		return &BroadcastError{Status: resp.GetStatus(), Info: resp.GetInfo()}
	}
	return nil
}
