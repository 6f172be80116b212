package fabricproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
)

// PortInUseError reports an address another program already listens on.
type PortInUseError struct {
	Addr string
	For  string
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %s (for %s) is in use by another program; stop it or change the port in network.yaml", e.Addr, e.For)
}

// CheckPortFree returns a *PortInUseError if something listens on addr.
func CheckPortFree(addr, forWhat string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return &PortInUseError{Addr: addr, For: forWhat}
		}
		return fmt.Errorf("check %s for %s: %w", addr, forWhat, err)
	}
	return l.Close()
}

// WaitHealthy polls http://addr/healthz until it answers 200, the context
// ends or check (when not nil) reports that waiting is pointless (say, the
// process died).
func WaitHealthy(ctx context.Context, addr string, check func() error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	url := "http://" + addr + "/healthz"
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("%s answered %s", url, resp.Status)
		} else {
			last = err
		}
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy: %v (%w)", addr, last, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
