package consortium

import (
	"fmt"
	"strings"
)

// UnknownError reports a name (organisation, node, channel, chaincode) that
// the consortium does not have, with the names it does have.
type UnknownError struct {
	What  string
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown %s %q (known: %s)", e.What, e.Name, strings.Join(e.Known, ", "))
}

// NotInitializedError reports a directory without network.yaml.
type NotInitializedError struct {
	Dir string
}

func (e *NotInitializedError) Error() string {
	return fmt.Sprintf("%s holds no consortium (no network.yaml); run kaiban-net init --dir %s first", e.Dir, e.Dir)
}
