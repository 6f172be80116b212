package objectstore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore/miniotest"
)

// The tests below run against a real MinIO server that miniotest builds once
// and starts on loopback.

func minioConfig(srv *miniotest.Server, bucket string) objectstore.MinIOConfig {
	return objectstore.MinIOConfig{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: bucket}
}

func openMinIO(t testing.TB, srv *miniotest.Server, opts ...objectstore.Option) *objectstore.MinIO {
	t.Helper()
	s, err := objectstore.NewMinIO(context.Background(), minioConfig(srv, srv.NewBucket(t)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func minioBackend(srv *miniotest.Server) backend {
	return backend{
		open: func(t *testing.T, opts ...objectstore.Option) objectstore.Store {
			return openMinIO(t, srv, opts...)
		},
		tamper: func(t *testing.T, s objectstore.Store, name string, data []byte) {
			if p, ok := s.(plainStore); ok {
				s = p.Store
			}
			// Overwrite the object with the server's root credentials, as
			// an intruder or a faulty node would: the server's own
			// checksums are then consistent with the new bytes.
			_, err := srv.Client(t).PutObject(context.Background(), s.(*objectstore.MinIO).Bucket(), name,
				bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
		},
		stray: func(t *testing.T, s objectstore.Store) {
			for _, key := range []string{"notes.txt", "dir/" + objectstore.Name(nil)} {
				_, err := srv.Client(t).PutObject(context.Background(), s.(*objectstore.MinIO).Bucket(), key,
					bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{})
				if err != nil {
					t.Fatal(err)
				}
			}
		},
	}
}

func TestMinIO_Integration(t *testing.T) {
	testStore(t, minioBackend(miniotest.Shared(t)))
}

func TestMinIO_CreatesBucket(t *testing.T) {
	srv := miniotest.Shared(t)
	ctx := context.Background()
	cfg := minioConfig(srv, srv.NewBucket(t))
	first, err := objectstore.NewMinIO(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := srv.Client(t).BucketExists(ctx, cfg.Bucket); err != nil || !ok {
		t.Fatalf("bucket %s not created: %v", cfg.Bucket, err)
	}
	name := put(t, first, []byte("kept"))
	second, err := objectstore.NewMinIO(ctx, cfg)
	if err != nil {
		t.Fatalf("open on an existing bucket: %v", err)
	}
	if got, err := second.Get(ctx, name); err != nil || string(got) != "kept" {
		t.Fatalf("get through a second store: %q, %v", got, err)
	}
}

func TestMinIO_WrongCredentials(t *testing.T) {
	srv := miniotest.Shared(t)
	cfg := minioConfig(srv, srv.NewBucket(t))
	cfg.SecretKey = "not-the-secret"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := objectstore.NewMinIO(ctx, cfg); err == nil {
		t.Fatal("NewMinIO accepted wrong credentials")
	}
}

func TestMinIO_Config(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		what string
		cfg  objectstore.MinIOConfig
		opts []objectstore.Option
	}{
		{"no endpoint", objectstore.MinIOConfig{Bucket: "b"}, nil},
		{"no bucket", objectstore.MinIOConfig{Endpoint: "127.0.0.1:1"}, nil},
		{"limit past one S3 upload", objectstore.MinIOConfig{Endpoint: "127.0.0.1:1", Bucket: "b"}, []objectstore.Option{objectstore.WithMaxSize(6 << 30)}},
	} {
		if _, err := objectstore.NewMinIO(ctx, c.cfg, c.opts...); err == nil {
			t.Errorf("%s: accepted", c.what)
		}
	}
}

// TestMinIO_CheckFollowsServer checks what /readyz sees: Check passes while
// the server runs and fails, within the caller's deadline, once it is gone.
func TestMinIO_CheckFollowsServer(t *testing.T) {
	srv := miniotest.Start(t)
	s := openMinIO(t, srv)
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("check with the server up: %v", err)
	}
	if err := srv.Client(t).RemoveBucket(context.Background(), s.Bucket()); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err == nil {
		t.Fatal("check passed with the bucket gone")
	}
	srv.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Check(ctx); err == nil {
		t.Fatal("check passed with the server down")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("check took %s past its 2s deadline", d)
	}
	if _, err := s.Get(ctx, objectstore.Name(nil)); err == nil || errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("get with the server down = %v; want a connection error, not ErrNotFound", err)
	}
}
