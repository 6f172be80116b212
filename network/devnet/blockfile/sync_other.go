//go:build !linux

package blockfile

import "os"

func fdatasync(f *os.File) error {
	return f.Sync()
}
