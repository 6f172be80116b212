// Package establish drives enterprise establishments through Kaiban's REST
// API as the people at the window would: a clerk opens the applicant's
// locker and accepts the one establishment form, a reviewer approves the
// locker, a supervisor watches the process until its bundle is issued. It
// is the one driver of the end-to-end test, the demo data of `kaiban dev`
// and the load tool (cmd/kaiban-load), and its Run measures establishments
// per minute and application→bundle latencies for any of them, the
// department benchmark included. It speaks plain net/http and JSON, the way
// an outside client would; nothing in it reaches past the API.
package establish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// Client is a signed-in caller of the API: a person's session token over
// Bearer, or no token for the public operations.
type Client struct {
	base  string
	http  *http.Client
	token string
	// Login is who signed in ("" for an anonymous client).
	Login string
}

// Anonymous returns a client of base (http://host:port) without a session.
func Anonymous(base string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	return &Client{base: strings.TrimRight(base, "/"), http: hc}
}

// Login signs in at base with a password and returns the client of that
// session.
func Login(ctx context.Context, base string, hc *http.Client, login, password string) (*Client, error) {
	c := Anonymous(base, hc)
	var s api.Session
	if err := c.Call(ctx, http.MethodPost, "/api/v1/sessions", map[string]any{"login": login, "password": password}, http.StatusCreated, &s); err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", login, err)
	}
	if s.MustChangePassword {
		return nil, fmt.Errorf("sign in as %s: the account must change its password first", login)
	}
	c.token, c.Login = s.Token, login
	return c, nil
}

// Response is an answer of the API, whatever its status.
type Response struct {
	Status int
	// ContentType is the media type without parameters.
	ContentType string
	Body        []byte
}

// Problem decodes a problem+json answer; ok is false for any other.
func (r Response) Problem() (api.Problem, bool) {
	var p api.Problem
	if r.ContentType != "application/problem+json" || json.Unmarshal(r.Body, &p) != nil {
		return p, false
	}
	return p, true
}

// Do sends one request; body is JSON-encoded unless it is a string or
// []byte (sent as is, as JSON unless contentType says otherwise). Only a
// transport failure is an error: any status comes back in the Response.
func (c *Client) Do(ctx context.Context, method, path string, body any, contentType ...string) (Response, error) {
	var rd io.Reader
	ct := "application/json"
	if len(contentType) > 0 {
		ct = contentType[0]
	}
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return Response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return Response{Status: resp.StatusCode, ContentType: strings.TrimSpace(mt), Body: data}, nil
}

// StatusError is an answer with another status than the caller expected.
type StatusError struct {
	Method, Path string
	Want         int
	Response     Response
}

func (e *StatusError) Error() string {
	body := string(e.Response.Body)
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return fmt.Sprintf("%s %s: status %d, want %d: %s", e.Method, e.Path, e.Response.Status, e.Want, body)
}

// Call sends one request, expects status want and decodes the answer into
// out (when not nil). Another status is a *StatusError.
func (c *Client) Call(ctx context.Context, method, path string, body any, want int, out any) error {
	r, err := c.Do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if r.Status != want {
		return &StatusError{Method: method, Path: path, Want: want, Response: r}
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// IsStatus reports whether err is an answer with the given status.
func IsStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Response.Status == status
}

// Poll calls cond every interval until it reports done, returns an error,
// or ctx ends; the error then says what was awaited.
func Poll(ctx context.Context, interval time.Duration, what string, cond func() (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		done, err := cond()
		if err == nil && done {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}
