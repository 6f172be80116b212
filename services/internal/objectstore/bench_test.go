package objectstore_test

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore/miniotest"
)

// BenchmarkContent measures the SM4 object path in MB/s of plaintext:
//
//	raw/seal, raw/open   gm.SealGCM and gm.OpenGCM alone, the yardstick
//	raw/sm3              gm.Sum alone: every put and get hashes the whole ciphertext
//	raw/seal+sm3         seal, then name the ciphertext: the CPU floor of a put,
//	                     since the name is known only once the seal is done
//	STORE/put-sealed     PutSealed: data key, seal, SM3 name, durable write
//	STORE/get-sealed     GetSealed: read, SM3 check, open
//	STORE/put, STORE/get the store alone on ciphertext (Put, verified Get)
//
// for STORE fs (a temporary folder, fsync on every put) and minio (a real
// server on loopback, sharing the machine's cores with the benchmark).
func BenchmarkContent(b *testing.B) {
	ctx := context.Background()
	aad := []byte("asset-bench")
	for _, size := range []int{1 << 20, 16 << 20} {
		plaintext := random(b, size)
		key, _ := gm.NewDataKey()
		sealed, err := gm.SealGCM(key, plaintext, aad)
		if err != nil {
			b.Fatal(err)
		}
		run := func(name string, f func(b *testing.B)) {
			b.Run(fmt.Sprintf("%s/%dMiB", name, size>>20), func(b *testing.B) {
				b.SetBytes(int64(size))
				f(b)
			})
		}

		run("raw/seal", func(b *testing.B) {
			for b.Loop() {
				gm.SealGCM(key, plaintext, aad)
			}
		})
		run("raw/open", func(b *testing.B) {
			for b.Loop() {
				if _, err := gm.OpenGCM(key, sealed, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
		run("raw/sm3", func(b *testing.B) {
			for b.Loop() {
				gm.Sum(sealed)
			}
		})
		run("raw/seal+sm3", func(b *testing.B) {
			for b.Loop() {
				c, _ := gm.SealGCM(key, plaintext, aad)
				gm.Sum(c)
			}
		})

		stores := []struct {
			name string
			open func(b *testing.B) objectstore.Store
		}{
			{"fs", func(b *testing.B) objectstore.Store {
				s, err := objectstore.NewFS(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				return s
			}},
			{"minio", func(b *testing.B) objectstore.Store { return openMinIO(b, miniotest.Shared(b)) }},
		}
		for _, st := range stores {
			run(st.name+"/put-sealed", func(b *testing.B) {
				s := st.open(b)
				for b.Loop() {
					if _, err := objectstore.PutSealed(ctx, s, plaintext, aad); err != nil {
						b.Fatal(err)
					}
				}
			})
			run(st.name+"/get-sealed", func(b *testing.B) {
				s := st.open(b)
				ref, err := objectstore.PutSealed(ctx, s, plaintext, aad)
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if _, err := objectstore.GetSealed(ctx, s, ref.Name, ref.Key, aad); err != nil {
						b.Fatal(err)
					}
				}
			})
			run(st.name+"/put", func(b *testing.B) {
				s := st.open(b)
				for b.Loop() {
					if _, err := s.Put(ctx, sealed); err != nil {
						b.Fatal(err)
					}
				}
			})
			run(st.name+"/get", func(b *testing.B) {
				s := st.open(b)
				name, err := s.Put(ctx, sealed)
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if _, err := s.Get(ctx, name); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSealedVsRaw measures the content path against raw SM4-GCM in the
// same loop: each iteration runs gm.SealGCM, PutSealed, gm.OpenGCM and
// GetSealed back to back on the same plaintext, so that load from other
// processes weighs on both sides alike and the ratios hold even when the
// absolute figures wander. It reports, in MB/s of plaintext, seal, put, open
// and get; put% and get%, the path's wall-clock speed as a share of raw seal
// and open; and put-cpu% and get-cpu%, the same shares in CPU time of this
// process (for minio, the client's side only: the server's work is not in it).
func BenchmarkSealedVsRaw(b *testing.B) {
	ctx := context.Background()
	aad := []byte("asset-bench")
	stores := []struct {
		name string
		open func(b *testing.B) objectstore.Store
	}{
		{"fs", func(b *testing.B) objectstore.Store {
			s, err := objectstore.NewFS(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"minio", func(b *testing.B) objectstore.Store { return openMinIO(b, miniotest.Shared(b)) }},
	}
	for _, st := range stores {
		for _, size := range []int{1 << 20, 16 << 20} {
			b.Run(fmt.Sprintf("%s/%dMiB", st.name, size>>20), func(b *testing.B) {
				s := st.open(b)
				plaintext := random(b, size)
				key, _ := gm.NewDataKey()
				var wall, cpu [4]time.Duration // seal, put, open, get
				var sealed []byte
				var ref objectstore.Sealed
				steps := [4]func() error{
					func() (err error) { sealed, err = gm.SealGCM(key, plaintext, aad); return err },
					func() (err error) { ref, err = objectstore.PutSealed(ctx, s, plaintext, aad); return err },
					func() error { _, err := gm.OpenGCM(key, sealed, aad); return err },
					func() error { _, err := objectstore.GetSealed(ctx, s, ref.Name, ref.Key, aad); return err },
				}
				for b.Loop() {
					for i, step := range steps {
						w, c := time.Now(), processCPU(b)
						if err := step(); err != nil {
							b.Fatal(err)
						}
						wall[i] += time.Since(w)
						cpu[i] += processCPU(b) - c
					}
				}
				mbps := func(d time.Duration) float64 { return float64(b.N) * float64(size) / 1e6 / d.Seconds() }
				pct := func(raw, path time.Duration) float64 { return 100 * raw.Seconds() / path.Seconds() }
				b.ReportMetric(mbps(wall[0]), "seal-MB/s")
				b.ReportMetric(mbps(wall[1]), "put-MB/s")
				b.ReportMetric(pct(wall[0], wall[1]), "put%")
				b.ReportMetric(pct(cpu[0], cpu[1]), "put-cpu%")
				b.ReportMetric(mbps(wall[2]), "open-MB/s")
				b.ReportMetric(mbps(wall[3]), "get-MB/s")
				b.ReportMetric(pct(wall[2], wall[3]), "get%")
				b.ReportMetric(pct(cpu[2], cpu[3]), "get-cpu%")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// BenchmarkPrimitivesCPU measures the CPU time, not the wall time, that the
// primitives of the content path take per byte (cpu-MB/s), on a thread of
// its own: the figure does not move when the machine is busy and the
// benchmark waits for a core. It shows the ceiling of the path: SM3, which
// names every object on put and checks it on every get, costs more per byte
// than SM4-GCM, so a put (seal, then SM3) cannot come near the raw seal
// speed, and a get (SM3 alongside the open) is bounded by SM3.
func BenchmarkPrimitivesCPU(b *testing.B) {
	const size = 4 << 20
	aad := []byte("asset-bench")
	plaintext := random(b, size)
	key, _ := gm.NewDataKey()
	sealed, _ := gm.SealGCM(key, plaintext, aad)
	for _, p := range []struct {
		name string
		f    func()
	}{
		{"sm3", func() { gm.Sum(sealed) }},
		{"seal", func() { gm.SealGCM(key, plaintext, aad) }},
		{"open", func() { gm.OpenGCM(key, sealed, aad) }},
	} {
		b.Run(p.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.SetBytes(size)
			start := threadCPU(b)
			for b.Loop() {
				p.f()
			}
			b.ReportMetric(float64(b.N)*size/1e6/(threadCPU(b)-start).Seconds(), "cpu-MB/s")
		})
	}
}

// threadCPU returns the CPU time the calling OS thread has used.
func threadCPU(b *testing.B) time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD, Linux
	return cpuTime(b, rusageThread)
}

// processCPU returns the CPU time the process has used, in all its threads.
func processCPU(b *testing.B) time.Duration {
	return cpuTime(b, syscall.RUSAGE_SELF)
}

func cpuTime(b *testing.B, who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
