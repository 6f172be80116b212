package objectstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
)

// backend is what the shared suite needs to run against one Store
// implementation: a way to open a fresh, empty store, a way to change an
// object's bytes behind the store's back, as an intruder on the storage node
// would, and a way to leave things there that are not objects.
type backend struct {
	open   func(t *testing.T, opts ...objectstore.Option) objectstore.Store
	tamper func(t *testing.T, s objectstore.Store, name string, data []byte)
	// stray puts things beside the objects that List must pass over.
	stray func(t *testing.T, s objectstore.Store)
}

// plainStore hides everything but the Store methods, so GetSealed takes its
// path for stores from other packages.
type plainStore struct{ objectstore.Store }

// testStore runs the contract every Store must keep.
func testStore(t *testing.T, b backend) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s := b.open(t)
		for _, n := range []int{0, 1, 4096, 1 << 20} {
			data := random(t, n)
			name, err := s.Put(ctx, data)
			if err != nil {
				t.Fatalf("put %d bytes: %v", n, err)
			}
			if name != gm.Hex(data) || name != objectstore.Name(data) {
				t.Fatalf("name %s is not the SM3 digest %s", name, gm.Hex(data))
			}
			got, err := s.Get(ctx, name)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("get %d bytes: %d bytes, %v", n, len(got), err)
			}
			info, err := s.Stat(ctx, name)
			if err != nil || info.Name != name || info.Size != int64(n) || time.Since(info.Modified) > time.Hour {
				t.Fatalf("stat: %+v, %v", info, err)
			}
		}
	})

	t.Run("Tampered", func(t *testing.T) {
		s := b.open(t)
		data := random(t, 10000)
		name := put(t, s, data)
		for _, c := range []struct {
			name string
			data []byte
		}{
			{"one byte flipped", flip(data, 5000)},
			{"truncated", data[:9999]},
			{"extended", append(bytes.Clone(data), 0)},
			{"replaced", random(t, 10000)},
			{"emptied", nil},
		} {
			b.tamper(t, s, name, c.data)
			got, err := s.Get(ctx, name)
			if !errors.Is(err, objectstore.ErrTampered) || got != nil {
				t.Fatalf("%s: get = %d bytes, %v; want ErrTampered and no bytes", c.name, len(got), err)
			}
		}
	})

	t.Run("PutRepairsTampered", func(t *testing.T) {
		s := b.open(t)
		data := random(t, 3000)
		name := put(t, s, data)
		b.tamper(t, s, name, flip(data, 0))
		if again := put(t, s, data); again != name {
			t.Fatalf("re-put named %s, first %s", again, name)
		}
		if got, err := s.Get(ctx, name); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get after repair: %v", err)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := b.open(t)
		name := gm.Hex([]byte("never stored"))
		if got, err := s.Get(ctx, name); !errors.Is(err, objectstore.ErrNotFound) || got != nil {
			t.Fatalf("get = %v, %v; want ErrNotFound", got, err)
		}
		if _, err := s.Stat(ctx, name); !errors.Is(err, objectstore.ErrNotFound) {
			t.Fatalf("stat = %v; want ErrNotFound", err)
		}
		if err := s.Delete(ctx, name); err != nil {
			t.Fatalf("delete of a missing object = %v; want nil", err)
		}
	})

	t.Run("InvalidName", func(t *testing.T) {
		s := b.open(t)
		valid := gm.Hex(nil)
		for _, name := range []string{"", "abc", valid[:63], valid + "0", "../../../../etc/passwd",
			"ABCDEF" + valid[6:], "g" + valid[1:], valid[:2] + "/" + valid[3:]} {
			if _, err := s.Get(ctx, name); !errors.Is(err, objectstore.ErrInvalidName) {
				t.Errorf("get %q = %v; want ErrInvalidName", name, err)
			}
			if _, err := s.Stat(ctx, name); !errors.Is(err, objectstore.ErrInvalidName) {
				t.Errorf("stat %q = %v; want ErrInvalidName", name, err)
			}
			if err := s.Delete(ctx, name); !errors.Is(err, objectstore.ErrInvalidName) {
				t.Errorf("delete %q = %v; want ErrInvalidName", name, err)
			}
		}
	})

	t.Run("PutTwice", func(t *testing.T) {
		s := b.open(t)
		data := random(t, 5000)
		first, second := put(t, s, data), put(t, s, data)
		if first != second {
			t.Fatalf("names differ: %s, %s", first, second)
		}
		if got, err := s.Get(ctx, first); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get: %v", err)
		}
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		s := b.open(t)
		data := random(t, 256<<10)
		const writers = 8
		names := make([]string, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() { names[i], errs[i] = s.Put(ctx, data) })
		}
		// Readers racing the writers see the whole object or none of it.
		for range 20 {
			if got, err := s.Get(ctx, gm.Hex(data)); err != nil && !errors.Is(err, objectstore.ErrNotFound) || err == nil && !bytes.Equal(got, data) {
				t.Fatalf("get during puts: %d bytes, %v", len(got), err)
			}
		}
		wg.Wait()
		for i := range writers {
			if errs[i] != nil || names[i] != gm.Hex(data) {
				t.Fatalf("writer %d: %s, %v", i, names[i], errs[i])
			}
		}
		if got, err := s.Get(ctx, names[0]); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get after puts: %v", err)
		}
	})

	t.Run("SizeLimit", func(t *testing.T) {
		s := b.open(t, objectstore.WithMaxSize(1024))
		name := put(t, s, random(t, 1024))
		if _, err := s.Put(ctx, random(t, 1025)); !errors.Is(err, objectstore.ErrTooLarge) {
			t.Fatalf("put of 1025 bytes = %v; want ErrTooLarge", err)
		}
		b.tamper(t, s, name, random(t, 4096))
		if got, err := s.Get(ctx, name); !errors.Is(err, objectstore.ErrTooLarge) || got != nil {
			t.Fatalf("get of an object grown past the limit = %d bytes, %v; want ErrTooLarge", len(got), err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := b.open(t)
		name := put(t, s, random(t, 100))
		if err := s.Delete(ctx, name); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, name); !errors.Is(err, objectstore.ErrNotFound) {
			t.Fatalf("get after delete = %v; want ErrNotFound", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		s := b.open(t)
		want := map[string]int64{}
		for _, n := range []int{10, 20, 30} {
			want[put(t, s, random(t, n))] = int64(n)
		}
		b.stray(t, s)
		got := map[string]int64{}
		err := s.List(ctx, func(info objectstore.Info) error {
			got[info.Name] = info.Size
			if time.Since(info.Modified) > time.Hour {
				t.Errorf("%s modified %v", info.Name, info.Modified)
			}
			return nil
		})
		if err != nil || len(got) != len(want) {
			t.Fatalf("list = %v, %v; want %v", got, err, want)
		}
		for name, size := range want {
			if got[name] != size {
				t.Fatalf("list = %v; want %v", got, want)
			}
		}
		stop := errors.New("enough")
		calls := 0
		if err := s.List(ctx, func(objectstore.Info) error { calls++; return stop }); err != stop || calls != 1 {
			t.Fatalf("list stopped by fn = %v after %d calls; want fn's error after 1", err, calls)
		}
	})

	t.Run("Check", func(t *testing.T) {
		if err := b.open(t).Check(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := b.open(t)
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(canceled, []byte("x")); !errors.Is(err, context.Canceled) {
			t.Fatalf("put = %v; want context.Canceled", err)
		}
	})

	t.Run("Sealed", func(t *testing.T) {
		// 100 kB is sealed and then named; 700 kB is named while sealed
		// (gm.SealGCMSum), and s.Get checks that name against the bytes.
		for _, size := range []int{100000, 700001} {
			for _, s := range []objectstore.Store{b.open(t), plainStore{b.open(t)}} {
				testSealed(t, s, b, size)
			}
		}
	})
}

// testSealed checks the content path over s.
func testSealed(t *testing.T, s objectstore.Store, b backend, size int) {
	ctx := context.Background()
	plaintext := random(t, size)
	aad := []byte("asset-7f3a")
	sealed, err := objectstore.PutSealed(ctx, s, plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed.Key) != gm.SM4KeySize || sealed.Size != int64(len(plaintext)+gm.GCMNonceSize+gm.GCMTagSize) {
		t.Fatalf("sealed = %d-byte key, size %d", len(sealed.Key), sealed.Size)
	}
	stored, err := s.Get(ctx, sealed.Name)
	if err != nil || bytes.Contains(stored, plaintext[:64]) {
		t.Fatalf("the stored object must be ciphertext (err %v)", err)
	}
	got, err := objectstore.GetSealed(ctx, s, sealed.Name, sealed.Key, aad)
	if err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("get sealed: %v", err)
	}

	otherKey, _ := gm.NewDataKey()
	for _, c := range []struct {
		what     string
		key, aad []byte
	}{
		{"wrong aad", sealed.Key, []byte("asset-other")},
		{"no aad", sealed.Key, nil},
		{"wrong key", otherKey, aad},
		{"short key", sealed.Key[:8], aad},
	} {
		got, err := objectstore.GetSealed(ctx, s, sealed.Name, c.key, c.aad)
		if err == nil || got != nil || errors.Is(err, objectstore.ErrTampered) {
			t.Fatalf("%s: %d bytes, %v; want a decryption error and no bytes", c.what, len(got), err)
		}
		if c.what != "short key" && !errors.Is(err, gm.ErrDecrypt) {
			t.Fatalf("%s: %v; want gm.ErrDecrypt", c.what, err)
		}
	}

	// Another object sealed under the same key and AAD, moved under this
	// object's name, opens fine with GCM: only the digest check catches it.
	swapped, err := gm.SealGCM(sealed.Key, []byte("forged"), aad)
	if err != nil {
		t.Fatal(err)
	}
	b.tamper(t, s, sealed.Name, swapped)
	if got, err := objectstore.GetSealed(ctx, s, sealed.Name, sealed.Key, aad); !errors.Is(err, objectstore.ErrTampered) || got != nil {
		t.Fatalf("swapped ciphertext: %q, %v; want ErrTampered and no bytes", got, err)
	}
	b.tamper(t, s, sealed.Name, flip(stored, 100))
	if got, err := objectstore.GetSealed(ctx, s, sealed.Name, sealed.Key, aad); !errors.Is(err, objectstore.ErrTampered) || got != nil {
		t.Fatalf("flipped ciphertext: %d bytes, %v; want ErrTampered and no bytes", len(got), err)
	}
	if _, err := objectstore.GetSealed(ctx, s, gm.Hex([]byte("absent")), sealed.Key, aad); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("missing: %v; want ErrNotFound", err)
	}
}

func put(t *testing.T, s objectstore.Store, data []byte) string {
	t.Helper()
	name, err := s.Put(context.Background(), data)
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	return name
}

func random(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func flip(data []byte, i int) []byte {
	out := bytes.Clone(data)
	out[i] ^= 0x01
	return out
}
