package ledger

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/network/devnet/statedb"
)

// The state file is written without fsync (the block file is the durable record), so
// a crash of the process leaves it whole in the page cache, but a crash of the machine
// can leave it torn. The ledger therefore records whether the state was closed cleanly
// and on which boot it was last written; a state that was not closed cleanly before a
// reboot is set aside and rebuilt from the block file.
const (
	metaClean = "clean"
	metaBoot  = "boot"
)

// bootIDPath is the kernel's identifier of the current boot.
var bootIDPath = "/proc/sys/kernel/random/boot_id"

func bootID() []byte {
	b, err := os.ReadFile(bootIDPath)
	if err != nil {
		return nil
	}
	return []byte(strings.TrimSpace(string(b)))
}

// openState opens the state file of dir, setting it aside first when the machine
// restarted while it was open, and marks it as in use by this boot.
func openState(dir string) (*statedb.DB, error) {
	path := filepath.Join(dir, StateFile)
	state, err := statedb.Open(path, statedb.Options{})
	if err != nil {
		return nil, err
	}
	boot := bootID()
	clean, err := state.Meta(metaClean)
	if err != nil {
		state.Close()
		return nil, err
	}
	last, err := state.Meta(metaBoot)
	if err != nil {
		state.Close()
		return nil, err
	}
	if string(clean) != "1" && len(last) > 0 && len(boot) > 0 && !bytes.Equal(last, boot) {
		state.Close()
		aside := fmt.Sprintf("%s.unclean-%d", path, time.Now().Unix())
		if err := os.Rename(path, aside); err != nil {
			return nil, fmt.Errorf("set aside a state file not closed before a restart: %w", err)
		}
		if state, err = statedb.Open(path, statedb.Options{}); err != nil {
			return nil, err
		}
	}
	if err := state.SetMeta(map[string][]byte{metaClean: []byte("0"), metaBoot: boot}); err != nil {
		state.Close()
		return nil, err
	}
	return state, nil
}

// closeState marks the state file as closed cleanly and closes it.
func closeState(state *statedb.DB) error {
	if err := state.SetMeta(map[string][]byte{metaClean: []byte("1")}); err != nil {
		state.Close()
		return err
	}
	return state.Close()
}
