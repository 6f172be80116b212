package kaibannet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/kaiban-platform/kaiban/network/fabricproc"
)

// DockerUnavailableError reports that docker compose cannot be run.
type DockerUnavailableError struct {
	Err error
}

func (e *DockerUnavailableError) Error() string {
	return fmt.Sprintf("the docker runtime needs `docker compose` (Docker Engine with the compose plugin): %v", e.Err)
}

func (e *DockerUnavailableError) Unwrap() error { return e.Err }

// compose runs docker compose on the network's compose file.
func (n *Network) compose(ctx context.Context, args ...string) error {
	docker, err := exec.LookPath("docker")
	if err != nil {
		return &DockerUnavailableError{Err: err}
	}
	full := append([]string{"compose", "-f", n.Layout.ComposeFile(), "-p", n.Spec.Name}, args...)
	cmd := exec.CommandContext(ctx, docker, full...)
	cmd.Dir = n.Layout.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("docker %v: %w\n%s", full, err, out.String())
		}
		return &DockerUnavailableError{Err: err}
	}
	return nil
}

func (n *Network) dockerUp(ctx context.Context) error {
	done := n.Progress.Step("docker compose up (%d nodes)", len(n.Spec.Nodes()))
	// No --remove-orphans: the repository's docker-compose.yaml runs
	// PostgreSQL, MinIO and kaiban in the same compose project.
	err := n.compose(ctx, "up", "-d")
	done("", err)
	if err != nil {
		return err
	}
	for _, r := range n.Spec.Nodes() {
		done := n.Progress.Step("wait for %s", r.Name())
		wctx, cancel := context.WithTimeout(ctx, healthTimeout)
		err := fabricproc.WaitHealthy(wctx, n.Spec.Endpoint(r).Ops, nil)
		cancel()
		done("", err)
		if err != nil {
			return err
		}
	}
	return nil
}

// dockerDown stops the Fabric containers; with purge it also removes them.
// Neither touches the project's network or the other services of the
// repository's docker-compose.yaml.
func (n *Network) dockerDown(ctx context.Context, purge bool) error {
	args := []string{"stop"}
	if purge {
		args = []string{"rm", "--stop", "--force"}
	}
	done := n.Progress.Step("docker compose %s (the Fabric containers)", args[0])
	err := n.compose(ctx, args...)
	done("", err)
	return err
}
