// Package participation is a client of the orderer's channel participation
// API (what osnadmin calls): list, inspect, join and leave channels over
// mutual TLS with an admin client certificate of the ordering organisation.
package participation

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

const basePath = "/participation/v1/channels"

// ChannelInfo is what an orderer says of one of its channels.
type ChannelInfo struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// ConsensusRelation is consenter, follower or config-tracker.
	ConsensusRelation string `json:"consensusRelation"`
	// Status is active, onboarding, inactive or failed.
	Status string `json:"status"`
	Height uint64 `json:"height"`
}

// Error is an error answer of the API.
type Error struct {
	StatusCode int
	Message    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("channel participation API: %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// ErrNotFound is returned (wrapped in *Error) for a channel the orderer does
// not have.
var ErrNotFound = errors.New("channel not found")

// Client talks to one orderer's admin endpoint.
type Client struct {
	addr string
	http *http.Client
}

// New returns a client of the admin endpoint at addr (host:port). roots verify
// the orderer's TLS certificate, serverName is the name in it and clientCert
// is an admin TLS client certificate of the ordering organisation.
func New(addr, serverName string, roots *x509.CertPool, clientCert tls.Certificate) *Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs:      roots,
		ServerName:   serverName,
		Certificates: []tls.Certificate{clientCert},
		MinVersion:   tls.VersionTLS12,
	}}
	return &Client{addr: addr, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// List returns the channels the orderer has joined.
func (c *Client) List(ctx context.Context) ([]ChannelInfo, error) {
	var list struct {
		Channels []ChannelInfo `json:"channels"`
	}
	if err := c.do(ctx, http.MethodGet, basePath, nil, "", &list); err != nil {
		return nil, err
	}
	return list.Channels, nil
}

// Info returns the orderer's view of a channel; an unknown channel is an
// *Error wrapping ErrNotFound.
func (c *Client) Info(ctx context.Context, channel string) (*ChannelInfo, error) {
	var info ChannelInfo
	if err := c.do(ctx, http.MethodGet, basePath+"/"+channel, nil, "", &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Join makes the orderer join the channel of a config block: the genesis
// block, or the latest config block for an orderer that joins later.
func (c *Client) Join(ctx context.Context, block *cb.Block) (*ChannelInfo, error) {
	data, err := proto.Marshal(block)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("config-block", "config.block")
	if err != nil {
		return nil, err
	}
	if _, err := part.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	var info ChannelInfo
	if err := c.do(ctx, http.MethodPost, basePath, &body, w.FormDataContentType(), &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Remove makes the orderer leave a channel and delete its ledger.
func (c *Client) Remove(ctx context.Context, channel string) error {
	return c.do(ctx, http.MethodDelete, basePath+"/"+channel, nil, "", nil)
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "https://"+c.addr+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		if e.Error == "" {
			e.Error = string(data)
		}
		apiErr := &Error{StatusCode: resp.StatusCode, Message: e.Error}
		if resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%w: %w", ErrNotFound, apiErr)
		}
		return apiErr
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	return json.Unmarshal(data, out)
}
