package blockfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func record(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("record %d;", i)), i+1)
}

func writeRecords(t *testing.T, path string, n int) {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < n; i++ {
		if err := f.Append(record(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func checkRecords(t *testing.T, f *File, n int) {
	t.Helper()
	if got := f.Len(); got != uint64(n) {
		t.Fatalf("Len = %d, want %d", got, n)
	}
	for i := 0; i < n; i++ {
		p, err := f.Read(uint64(i))
		if err != nil {
			t.Fatalf("Read(%d): %v", i, err)
		}
		if !bytes.Equal(p, record(i)) {
			t.Fatalf("Read(%d) = %q, want %q", i, p, record(i))
		}
	}
	if _, err := f.Read(uint64(n)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read(%d) error = %v, want ErrNotFound", n, err)
	}
}

func TestFile_AppendReopenRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blocks")
	writeRecords(t, path, 5)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkRecords(t, f, 5)
	if f.Torn() != 0 {
		t.Fatalf("Torn = %d on a clean file", f.Torn())
	}
	if err := f.Append(record(5)); err != nil {
		t.Fatal(err)
	}
	checkRecords(t, f, 6)
}

func TestFile_EmptyRecordRefused(t *testing.T) {
	f, err := Open(filepath.Join(t.TempDir(), "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Append(nil); err == nil {
		t.Fatal("Append(nil) succeeded")
	}
}

// TestFile_TornTailTruncated cuts the file at every byte inside the last record, as a
// crash during the write can, and checks that Open keeps exactly the whole records and
// that appending afterwards works.
func TestFile_TornTailTruncated(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean")
	writeRecords(t, clean, 4)
	full, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	lastStart := int64(len(full) - headerSize - len(record(3)))
	for cut := lastStart + 1; cut < int64(len(full)); cut++ {
		path := filepath.Join(dir, fmt.Sprintf("cut%d", cut))
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		checkRecords(t, f, 3)
		if f.Torn() != cut-lastStart {
			t.Fatalf("cut at %d: Torn = %d, want %d", cut, f.Torn(), cut-lastStart)
		}
		if err := f.Append(record(3)); err != nil {
			t.Fatal(err)
		}
		checkRecords(t, f, 4)
		f.Close()
		if st, _ := os.Stat(path); st.Size() != int64(len(full)) {
			t.Fatalf("cut at %d: size after re-append %d, want %d", cut, st.Size(), len(full))
		}
	}
}

func TestFile_TornTailVariants(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean")
	writeRecords(t, clean, 3)
	full, _ := os.ReadFile(clean)
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"zeros after last record", append(bytes.Clone(full), make([]byte, 4096)...), 3},
		{"garbage after last record", append(bytes.Clone(full), 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5), 3},
		{"flipped byte in last payload", func() []byte { b := bytes.Clone(full); b[len(b)-1] ^= 1; return b }(), 2},
		{"flipped checksum of last record", func() []byte {
			b := bytes.Clone(full)
			b[len(b)-len(record(2))-1] ^= 0x80
			return b
		}(), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "blocks")
			os.WriteFile(path, tt.data, 0o644)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			checkRecords(t, f, tt.want)
			st, _ := os.Stat(path)
			if st.Size() != f.Size() {
				t.Fatalf("file size %d, want truncated to %d", st.Size(), f.Size())
			}
		})
	}
}

func TestFile_CorruptMiddleRecordDetectedOnRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blocks")
	writeRecords(t, path, 3)
	b, _ := os.ReadFile(path)
	b[headerSize+2] ^= 1 // inside record 0's payload
	os.WriteFile(path, b, 0o644)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Read(0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Read(0) error = %v, want ErrCorrupt", err)
	}
}

func TestFile_ReadOnlyLeavesTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blocks")
	writeRecords(t, path, 2)
	b, _ := os.ReadFile(path)
	b = append(b, 0, 0, 0, 9, 1, 2)
	os.WriteFile(path, b, 0o644)
	f, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkRecords(t, f, 2)
	if st, _ := os.Stat(path); st.Size() != int64(len(b)) {
		t.Fatal("read-only open changed the file")
	}
	if err := f.Append([]byte("x")); err == nil {
		t.Fatal("Append on read-only file succeeded")
	}
}
