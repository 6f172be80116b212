package objectstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore/miniotest"
)

// BenchmarkContent measures the SM4 object path in MB/s of plaintext:
//
//	raw/seal, raw/open   gm.SealGCM and gm.OpenGCM alone, the yardstick
//	raw/sm3              gm.Sum alone: every put and get hashes the whole ciphertext
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
