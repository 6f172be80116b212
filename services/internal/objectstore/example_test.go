package objectstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
)

// An asset service seals a document for an asset, records the returned name
// and wrapped key on chain, and later reads it back; an object changed on the
// storage node is reported, never served.
func ExamplePutSealed() {
	dir, _ := os.MkdirTemp("", "objects")
	defer os.RemoveAll(dir)
	store, err := objectstore.NewFS(dir)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	assetID := []byte("9c1e…the asset's ID")

	sealed, err := objectstore.PutSealed(ctx, store, []byte("营业执照 business licence"), assetID)
	if err != nil {
		panic(err)
	}
	// The asset record keeps sealed.Name (its cipher digest) and sealed.Key
	// wrapped for the owner; the plain key is dropped.

	content, err := objectstore.GetSealed(ctx, store, sealed.Name, sealed.Key, assetID)
	fmt.Printf("%s %v\n", content, err)

	path := filepath.Join(dir, sealed.Name[:2], sealed.Name)
	os.WriteFile(path, []byte("forged"), 0o640)
	content, err = objectstore.GetSealed(ctx, store, sealed.Name, sealed.Key, assetID)
	fmt.Println(content == nil, errors.Is(err, objectstore.ErrTampered))
	// Output:
	// 营业执照 business licence <nil>
	// true true
}
