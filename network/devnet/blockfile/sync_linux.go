package blockfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// fdatasync flushes the file's data and the metadata needed to read it back (its
// size), without the timestamps an fsync also writes.
func fdatasync(f *os.File) error {
	return unix.Fdatasync(int(f.Fd()))
}
