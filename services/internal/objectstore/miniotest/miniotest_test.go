package miniotest

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestShared_ServesBuckets(t *testing.T) {
	srv := Shared(t)
	if Shared(t) != srv {
		t.Fatal("Shared started a second server")
	}
	ctx := context.Background()
	c := srv.Client(t)
	var bucket string
	t.Run("bucket", func(t *testing.T) {
		bucket = srv.NewBucket(t)
		if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	if ok, err := c.BucketExists(ctx, bucket); err != nil || ok {
		t.Fatalf("bucket %s outlived its test: %v, %v", bucket, ok, err)
	}
}

func TestStart_StopsServer(t *testing.T) {
	srv := Start(t)
	if srv == Shared(t) || srv.AccessKey == Shared(t).AccessKey {
		t.Fatal("Start returned the shared server or its credentials")
	}
	url := "http://" + srv.Endpoint + "/minio/health/live"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Stop()
	if _, err := http.Get(url); err == nil {
		t.Fatal("server still answers after Stop")
	}
	srv.Stop() // a second stop is harmless
}

// TestBinary_BuildFailsClearly checks the failure a machine without the Go
// module proxy gets: an error naming the fix, not a skipped test.
func TestBinary_BuildFailsClearly(t *testing.T) {
	t.Setenv("KAIBAN_MINIO_BIN", "")
	t.Setenv("KAIBAN_MINIO_CACHE", t.TempDir())
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOMODCACHE", t.TempDir())
	_, err := Binary()
	if err == nil {
		t.Fatal("Binary built MinIO with the proxy off")
	}
	t.Log(err)
	for _, want := range []string{"scripts/install-minio.sh", "KAIBAN_MINIO_BIN", Version} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	entries, _ := os.ReadDir(os.Getenv("KAIBAN_MINIO_CACHE"))
	for _, e := range entries {
		if e.Name() != "build.lock" {
			t.Errorf("failed build left %s behind", e.Name())
		}
	}
}

func TestBinary_FromEnvironment(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "minio")
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	t.Setenv("KAIBAN_MINIO_BIN", bin)
	if got, err := Binary(); err != nil || got != bin {
		t.Fatalf("Binary() = %q, %v; want %q", got, err, bin)
	}
	t.Setenv("KAIBAN_MINIO_BIN", bin+".missing")
	if _, err := Binary(); err == nil {
		t.Fatal("Binary accepted a missing KAIBAN_MINIO_BIN")
	}
}

func TestExternal_ParsesURL(t *testing.T) {
	s, err := external("http://ak:sk@10.0.0.5:9000")
	if err != nil || s.Endpoint != "10.0.0.5:9000" || s.AccessKey != "ak" || s.SecretKey != "sk" || s.proc != nil {
		t.Fatalf("external = %+v, %v", s, err)
	}
	for _, bad := range []string{"10.0.0.5:9000", "https://ak:sk@h:1", "http://h:1"} {
		if _, err := external(bad); err == nil {
			t.Errorf("external(%q) accepted", bad)
		}
	}
}
