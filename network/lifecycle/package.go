// Package lifecycle deploys Kaiban's chaincodes as a service (CCaaS) through
// Fabric's chaincode lifecycle with github.com/hyperledger/fabric-admin-sdk:
// it builds deterministic CCaaS packages, installs them on peers, approves a
// definition for an organisation and commits it, each step checking first
// whether it is already done so that an interrupted deployment resumes.
package lifecycle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Connection is connection.json of a CCaaS package: where the peer dials the
// chaincode server.
type Connection struct {
	Address     string `json:"address"`
	DialTimeout string `json:"dial_timeout"`
	TLSRequired bool   `json:"tls_required"`
}

// Metadata is metadata.json of a chaincode package.
type Metadata struct {
	Type  string `json:"type"`
	Label string `json:"label"`
}

// epoch is the modification time of every packaged file, so that the same
// label and address always give the same bytes and the same package ID.
var epoch = time.Unix(0, 0).UTC()

// Package builds a CCaaS chaincode package: metadata.json (type ccaas, the
// label) and code.tar.gz holding connection.json. The bytes depend only on
// the label and the connection: names sorted, fixed times and owners, gzip
// without name or time.
func Package(label string, conn Connection) ([]byte, error) {
	if conn.DialTimeout == "" {
		conn.DialTimeout = "10s"
	}
	connJSON, err := json.Marshal(conn)
	if err != nil {
		return nil, err
	}
	code, err := tarGz(map[string][]byte{"connection.json": connJSON})
	if err != nil {
		return nil, err
	}
	meta, err := json.Marshal(Metadata{Type: "ccaas", Label: label})
	if err != nil {
		return nil, err
	}
	return tarGz(map[string][]byte{"code.tar.gz": code, "metadata.json": meta})
}

func tarGz(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	// metadata.json first is not required by Fabric; sorted order is what
	// makes the bytes reproducible.
	for _, name := range sortedKeys(files) {
		data := files[name]
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedKeys(m map[string][]byte) []string {
	return slices.Sorted(maps.Keys(m))
}

// PackageID is the ID a peer gives an installed package: label:sha256(package).
func PackageID(label string, pkg []byte) string {
	sum := sha256.Sum256(pkg)
	return label + ":" + hex.EncodeToString(sum[:])
}

// Contents are what a CCaaS package holds.
type Contents struct {
	Metadata   Metadata
	Connection Connection
}

// Parse reads a CCaaS package back.
func Parse(pkg []byte) (*Contents, error) {
	files, err := untarGz(pkg)
	if err != nil {
		return nil, err
	}
	var c Contents
	if err := json.Unmarshal(files["metadata.json"], &c.Metadata); err != nil {
		return nil, fmt.Errorf("metadata.json: %w", err)
	}
	code, ok := files["code.tar.gz"]
	if !ok {
		return nil, errors.New("package has no code.tar.gz")
	}
	inner, err := untarGz(code)
	if err != nil {
		return nil, fmt.Errorf("code.tar.gz: %w", err)
	}
	if err := json.Unmarshal(inner["connection.json"], &c.Connection); err != nil {
		return nil, fmt.Errorf("connection.json: %w", err)
	}
	return &c, nil
}

func untarGz(data []byte) (map[string][]byte, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
		if err != nil {
			return nil, err
		}
		files[hdr.Name] = b
	}
}
