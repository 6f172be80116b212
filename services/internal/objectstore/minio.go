package objectstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// MinIOConfig says how to reach the bucket of a MinIO (or other S3) server.
type MinIOConfig struct {
	Endpoint  string // host:port of the server
	AccessKey string
	SecretKey string
	Bucket    string // created by NewMinIO when missing
	Region    string // region of the bucket; empty for MinIO's default
	Secure    bool   // connect with TLS

	// Transport carries the requests; nil uses minio-go's default. Set it for
	// a TLS server whose certificate is not signed by a system root.
	Transport http.RoundTripper
}

// MinIO is a Store in a bucket of a MinIO server (a storage node of 7.2 c),
// each object under its SM3 name. Whatever checksums the server keeps, every
// Get recomputes the SM3 digest itself: the server is not trusted, the name
// recorded on chain is.
type MinIO struct {
	client  *minio.Client
	bucket  string
	maxSize int64
}

// maxSinglePut is S3's limit on an object uploaded in one request. Each object
// is uploaded in one request so that it appears whole or not at all.
const maxSinglePut = 5 << 30

// NewMinIO connects to the server of cfg and creates its bucket if missing.
func NewMinIO(ctx context.Context, cfg MinIOConfig, opts ...Option) (*MinIO, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.maxSize > maxSinglePut {
		return nil, fmt.Errorf("objectstore: max size %d exceeds the %d bytes of a single S3 upload", o.maxSize, int64(maxSinglePut))
	}
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("objectstore: MinIO store needs an endpoint and a bucket")
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.Secure,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("objectstore: MinIO client for %s: %w", cfg.Endpoint, err)
	}
	s := &MinIO{client: client, bucket: cfg.Bucket, maxSize: o.maxSize}
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, fmt.Errorf("objectstore: MinIO %s bucket %s: %w", cfg.Endpoint, cfg.Bucket, err)
	}
	return s, nil
}

func (s *MinIO) ensureBucket(ctx context.Context, region string) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil || exists {
		return err
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if code := minio.ToErrorResponse(err).Code; code == minio.BucketAlreadyOwnedByYou || code == minio.BucketAlreadyExists {
		// Another process created it first. BucketAlreadyExists can also
		// mean someone else's bucket; Check then fails on access.
		return nil
	}
	return err
}

// Bucket returns the name of the store's bucket.
func (s *MinIO) Bucket() string { return s.bucket }

// Put uploads data under its SM3 name in a single request. It always uploads,
// so a Put of the right bytes repairs a tampered object.
func (s *MinIO) Put(ctx context.Context, data []byte) (string, error) {
	name := Name(data)
	return name, s.putNamed(ctx, name, data)
}

// putNamed stores data under name, which the caller computed as its SM3
// digest (PutSealed names the ciphertext while sealing it).
func (s *MinIO) putNamed(ctx context.Context, name string, data []byte) error {
	if int64(len(data)) > s.maxSize {
		return fmt.Errorf("objectstore: put %d bytes: %w (limit %d)", len(data), ErrTooLarge, s.maxSize)
	}
	_, err := s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:      "application/octet-stream",
		DisableMultipart: true,
	})
	if err != nil {
		return fmt.Errorf("objectstore: put %s: %w", name, err)
	}
	return nil
}

// Get returns the object called name once its SM3 digest is checked.
func (s *MinIO) Get(ctx context.Context, name string) ([]byte, error) {
	data, err := s.fetch(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := verify(name, data); err != nil {
		return nil, err
	}
	return data, nil
}

// fetch downloads the object called name without verifying it.
func (s *MinIO) fetch(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("objectstore: get: %w", err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("objectstore: get %s: %w", name, s.mapError(err))
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		return nil, fmt.Errorf("objectstore: get %s: %w", name, s.mapError(err))
	}
	if info.Size > s.maxSize {
		return nil, fmt.Errorf("objectstore: get %s: %w (%d bytes, limit %d)", name, ErrTooLarge, info.Size, s.maxSize)
	}
	// The size is the server's word and the digest check decides; a body
	// shorter than announced is a broken transfer, not tampering.
	data := make([]byte, info.Size)
	if _, err := io.ReadFull(obj, data); err != nil {
		return nil, fmt.Errorf("objectstore: get %s: %w", name, s.mapError(err))
	}
	return data, nil
}

// Stat describes the object called name without reading it.
func (s *MinIO) Stat(ctx context.Context, name string) (Info, error) {
	if err := checkName(name); err != nil {
		return Info{}, fmt.Errorf("objectstore: stat: %w", err)
	}
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, fmt.Errorf("objectstore: stat %s: %w", name, s.mapError(err))
	}
	return Info{Name: name, Size: info.Size, Modified: info.LastModified}, nil
}

// Delete removes the object called name; a missing one is not an error.
func (s *MinIO) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("objectstore: delete: %w", err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("objectstore: delete %s: %w", name, err)
	}
	return nil
}

// List calls fn with every object in the bucket. Keys that are not digests
// (put there by something else) are passed over.
func (s *MinIO) List(ctx context.Context, fn func(Info) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends minio-go's listing when fn stops early
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{}) {
		if obj.Err != nil {
			return fmt.Errorf("objectstore: list bucket %s: %w", s.bucket, obj.Err)
		}
		if checkName(obj.Key) != nil {
			continue
		}
		if err := fn(Info{Name: obj.Key, Size: obj.Size, Modified: obj.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// Check reports whether the server answers and the bucket is there and
// readable with the store's credentials.
func (s *MinIO) Check(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("objectstore: check MinIO %s: %w", s.client.EndpointURL().Host, err)
	}
	if !exists {
		return fmt.Errorf("objectstore: check MinIO %s: bucket %s is missing", s.client.EndpointURL().Host, s.bucket)
	}
	return nil
}

// mapError turns the server's "no such key" into ErrNotFound.
func (s *MinIO) mapError(err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return ErrNotFound
	}
	return err
}
