package blockfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"
)

const headerSize = 8

// MaxRecordSize is the largest payload a record may hold.
const MaxRecordSize = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is returned when a record other than a torn last one is damaged.
var ErrCorrupt = errors.New("blockfile: corrupt record")

// ErrNotFound is returned by Read for a record number at or beyond Len.
var ErrNotFound = errors.New("blockfile: no such record")

// File is an append-only record file. Append must be called by one goroutine at a
// time; Read, Len and Size are safe for concurrent use with everything.
type File struct {
	f        *os.File
	readOnly bool

	mu      sync.RWMutex
	offsets []int64 // offsets[i] is where record i starts
	size    int64   // end of the last whole record
	torn    int64
}

// Open opens the record file at path, creating it when missing, and truncates a torn
// last record.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open block file: %w", err)
	}
	bf := &File{f: f}
	if err := bf.scan(); err != nil {
		f.Close()
		return nil, err
	}
	if bf.torn > 0 {
		if err := f.Truncate(bf.size); err != nil {
			f.Close()
			return nil, fmt.Errorf("truncate torn tail of block file: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync block file: %w", err)
		}
	}
	return bf, nil
}

// OpenReadOnly opens the record file at path for reading only. A torn last record is
// left in place and ignored (it may be a record being written by another process).
func OpenReadOnly(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open block file: %w", err)
	}
	bf := &File{f: f, readOnly: true}
	if err := bf.scan(); err != nil {
		f.Close()
		return nil, err
	}
	return bf, nil
}

// scan walks the record headers and finds the end of the last whole record.
func (bf *File) scan() error {
	st, err := bf.f.Stat()
	if err != nil {
		return fmt.Errorf("stat block file: %w", err)
	}
	end := st.Size()
	var hdr [headerSize]byte
	var off int64
	for off < end {
		if end-off < headerSize {
			break
		}
		if _, err := bf.f.ReadAt(hdr[:], off); err != nil {
			return fmt.Errorf("read block file header at %d: %w", off, err)
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		if n == 0 || n > MaxRecordSize || off+headerSize+n > end {
			break
		}
		bf.offsets = append(bf.offsets, off)
		off += headerSize + n
	}
	// Only the last whole record can have been torn by a crash; check its payload.
	if len(bf.offsets) > 0 {
		last := bf.offsets[len(bf.offsets)-1]
		if _, err := bf.readAt(last); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return err
			}
			bf.offsets = bf.offsets[:len(bf.offsets)-1]
			off = last
		}
	}
	bf.size = off
	bf.torn = end - off
	return nil
}

// Len returns the number of whole records.
func (bf *File) Len() uint64 {
	bf.mu.RLock()
	defer bf.mu.RUnlock()
	return uint64(len(bf.offsets))
}

// Size returns the file size up to the end of the last whole record.
func (bf *File) Size() int64 {
	bf.mu.RLock()
	defer bf.mu.RUnlock()
	return bf.size
}

// Torn returns how many bytes past the last whole record Open found (and, unless
// opened read-only, truncated).
func (bf *File) Torn() int64 {
	return bf.torn
}

// Append writes payload as the next record and fsyncs the file. When it returns an
// error the record may or may not be durable; the File must not be used further.
func (bf *File) Append(payload []byte) error {
	if bf.readOnly {
		return errors.New("blockfile: append to a file opened read-only")
	}
	if len(payload) == 0 || len(payload) > MaxRecordSize {
		return fmt.Errorf("blockfile: record of %d bytes", len(payload))
	}
	// The header and the payload are written separately rather than copied
	// into one buffer (a block is often megabytes); a crash between the two
	// leaves a record whose checksum fails, a torn tail like any other.
	hdr := appendHeader(make([]byte, 0, headerSize), payload)

	bf.mu.RLock()
	off := bf.size
	bf.mu.RUnlock()
	if _, err := bf.f.WriteAt(hdr, off); err != nil {
		return fmt.Errorf("append to block file: %w", err)
	}
	if _, err := bf.f.WriteAt(payload, off+headerSize); err != nil {
		return fmt.Errorf("append to block file: %w", err)
	}
	if err := fdatasync(bf.f); err != nil {
		return fmt.Errorf("sync block file: %w", err)
	}
	bf.mu.Lock()
	bf.offsets = append(bf.offsets, off)
	bf.size = off + headerSize + int64(len(payload))
	bf.mu.Unlock()
	return nil
}

// Read returns the payload of record i.
func (bf *File) Read(i uint64) ([]byte, error) {
	bf.mu.RLock()
	if i >= uint64(len(bf.offsets)) {
		bf.mu.RUnlock()
		return nil, fmt.Errorf("record %d of %d: %w", i, len(bf.offsets), ErrNotFound)
	}
	off := bf.offsets[i]
	bf.mu.RUnlock()
	p, err := bf.readAt(off)
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", i, err)
	}
	return p, nil
}

func (bf *File) readAt(off int64) ([]byte, error) {
	var hdr [headerSize]byte
	if _, err := bf.f.ReadAt(hdr[:], off); err != nil {
		return nil, fmt.Errorf("read header at %d: %w", off, err)
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n == 0 || n > MaxRecordSize {
		return nil, fmt.Errorf("length %d at %d: %w", n, off, ErrCorrupt)
	}
	p := make([]byte, n)
	if _, err := bf.f.ReadAt(p, off+headerSize); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("short payload at %d: %w", off, ErrCorrupt)
		}
		return nil, fmt.Errorf("read payload at %d: %w", off, err)
	}
	if crc32.Checksum(p, castagnoli) != binary.BigEndian.Uint32(hdr[4:8]) {
		return nil, fmt.Errorf("checksum mismatch at %d: %w", off, ErrCorrupt)
	}
	return p, nil
}

// Close closes the file.
func (bf *File) Close() error {
	return bf.f.Close()
}

// appendRecord appends payload as a record (header and payload) to b.
func appendRecord(b, payload []byte) []byte {
	return append(appendHeader(b, payload), payload...)
}

// appendHeader appends the header of payload's record (length and checksum) to b.
func appendHeader(b, payload []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(payload, castagnoli))
}
