package objectstore_test

import (
	"context"
	"errors"
	"fmt"
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
// same loop: each iteration times gm.SealGCM, PutSealed, gm.OpenGCM and
// GetSealed back to back on the same plaintext, so that load from other
// processes on the machine weighs on both sides alike and the ratios hold
// even when the absolute figures wander. It reports MB/s of plaintext for
// each and put% and get% (the path's speed as a share of raw seal and open).
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
				var seal, put, open, get time.Duration
				for b.Loop() {
					t0 := time.Now()
					sealed, err := gm.SealGCM(key, plaintext, aad)
					t1 := time.Now()
					ref, perr := objectstore.PutSealed(ctx, s, plaintext, aad)
					t2 := time.Now()
					_, oerr := gm.OpenGCM(key, sealed, aad)
					t3 := time.Now()
					_, gerr := objectstore.GetSealed(ctx, s, ref.Name, ref.Key, aad)
					t4 := time.Now()
					if err := errors.Join(err, perr, oerr, gerr); err != nil {
						b.Fatal(err)
					}
					seal, put, open, get = seal+t1.Sub(t0), put+t2.Sub(t1), open+t3.Sub(t2), get+t4.Sub(t3)
				}
				mbps := func(d time.Duration) float64 { return float64(b.N) * float64(size) / 1e6 / d.Seconds() }
				b.ReportMetric(mbps(seal), "seal-MB/s")
				b.ReportMetric(mbps(put), "put-MB/s")
				b.ReportMetric(100*seal.Seconds()/put.Seconds(), "put%")
				b.ReportMetric(mbps(open), "open-MB/s")
				b.ReportMetric(mbps(get), "get-MB/s")
				b.ReportMetric(100*open.Seconds()/get.Seconds(), "get%")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
