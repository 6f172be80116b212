package blockfile

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkOpen measures opening a file of 100,000 records of 1 KiB (how long a
// restart waits to find the records); it reports records/s.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "blocks")
	var buf []byte
	rec := make([]byte, 1024)
	rec[0] = 1
	for range 100000 {
		buf = append(buf, appendRecord(nil, rec)...)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if f.Len() != 100000 {
			b.Fatalf("Len = %d", f.Len())
		}
		f.Close()
	}
	b.ReportMetric(float64(100000*b.N)/b.Elapsed().Seconds(), "records/s")
}
