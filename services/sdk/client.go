package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Client is a department system's connection to Kaiban. It is safe for
// concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	keyID     string
	sign      func([]byte) ([]byte, error)
	userAgent string
	now       func() time.Time
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient uses hc for every request (its transport, timeout,
// proxy). The default is a client with a 30 s timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("sdk: nil HTTP client")
		}
		c.http = hc
		return nil
	}
}

// WithTLSConfig authenticates with the TLS client certificate of cfg
// (mutual TLS) and trusts cfg's roots for the server.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *Client) error {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = cfg
		c.http = &http.Client{Transport: t, Timeout: c.http.Timeout}
		return nil
	}
}

// WithAPIKey signs every request with API key keyID: sign returns the
// HMAC-SM3 (HMACKey) or SM2 signature of the string to sign.
func WithAPIKey(keyID string, sign func(msg []byte) ([]byte, error)) Option {
	return func(c *Client) error {
		if keyID == "" || sign == nil {
			return errors.New("sdk: an API key needs its ID and a signer")
		}
		c.keyID, c.sign = keyID, sign
		return nil
	}
}

// HMACKey returns the signer of an hmac-sm3 API key from its base64 secret
// (the one shown once when the key was issued).
func HMACKey(secretBase64 string) (func([]byte) ([]byte, error), error) {
	secret, err := base64.StdEncoding.DecodeString(secretBase64)
	if err != nil || len(secret) < 16 {
		return nil, errors.New("sdk: the API key secret must be base64 of at least 16 bytes")
	}
	return func(msg []byte) ([]byte, error) { return gm.HMAC(secret, msg), nil }, nil
}

// WithUserAgent names the department system in the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error { c.userAgent = ua; return nil }
}

// New returns a Client for the Kaiban API at baseURL
// ("https://kaiban.example").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sdk: base URL %q must be http(s)://host[:port]", baseURL)
	}
	c := &Client{base: u, http: &http.Client{Timeout: 30 * time.Second}, userAgent: "kaiban-sdk-go/1", now: time.Now}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Signature headers and the string to sign of a signed API key request
// (services/internal/identity documents the scheme).
const (
	headerKey       = "X-Kaiban-Key-ID"
	headerTimestamp = "X-Kaiban-Date"
	headerNonce     = "X-Kaiban-Nonce"
	headerSignature = "X-Kaiban-Signature"
)

func stringToSign(keyID, method, path, rawQuery, timestamp, nonce string, body []byte) []byte {
	return []byte("KAIBAN-SIG-V1\n" + keyID + "\n" + method + "\n" + path + "\n" + rawQuery + "\n" +
		timestamp + "\n" + nonce + "\n" + gm.Hex(body))
}

// do sends one request: body is JSON-encoded unless it is raw bytes sent
// with contentType; a 2xx answer is decoded into out, anything else
// returned as a *ProblemError.
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, body any, contentType string, out any) error {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return fmt.Errorf("%s: encode request: %w", op, err)
		}
		contentType = "application/json"
	}
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.sign != nil {
		nonce := make([]byte, 18)
		if _, err := rand.Read(nonce); err != nil {
			return fmt.Errorf("%s: nonce: %w", op, err)
		}
		n := base64.RawURLEncoding.EncodeToString(nonce)
		ts := strconv.FormatInt(c.now().Unix(), 10)
		sig, err := c.sign(stringToSign(c.keyID, method, req.URL.EscapedPath(), req.URL.RawQuery, ts, n, raw))
		if err != nil {
			return fmt.Errorf("%s: sign request: %w", op, err)
		}
		req.Header.Set(headerKey, c.keyID)
		req.Header.Set(headerTimestamp, ts)
		req.Header.Set(headerNonce, n)
		req.Header.Set(headerSignature, base64.StdEncoding.EncodeToString(sig))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: read response: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		p := &ProblemError{Status: resp.StatusCode, Operation: op}
		if json.Unmarshal(data, p) != nil || p.Title == "" {
			p.Title = http.StatusText(resp.StatusCode)
		}
		p.Status = resp.StatusCode
		return p
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decode response: %w", op, err)
	}
	return nil
}
