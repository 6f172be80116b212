package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

func TestSeed_DefaultDefinition(t *testing.T) {
	ctx := context.Background()
	r := registry.New(pgtest.New(t))
	v, err := r.Version(ctx, registry.EstablishmentItem, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := registry.DefaultEstablishment()
	want.Normalize()
	wantDigest, _ := want.Digest()
	gotDigest, _ := v.Definition.Digest()
	if v.Version != 1 || v.Digest != wantDigest || gotDigest != wantDigest {
		t.Fatalf("seeded v%d digest %s (recomputed %s), want %s", v.Version, v.Digest, gotDigest, wantDigest)
	}
	if len(v.Steps) != 7 || v.Steps[0].Department != "market" || v.Issuance != registry.IssuanceUnified {
		t.Fatalf("seeded steps %+v", v.Steps)
	}
	it, err := r.Item(ctx, registry.EstablishmentItem)
	if err != nil || it.CurrentVersion != 1 || len(it.Materials) == 0 {
		t.Fatalf("item %+v, %v", it, err)
	}
	depts, err := r.Departments(ctx)
	if err != nil || len(depts) != 7 || depts["housing-fund"] != "HousingFundMSP" {
		t.Fatalf("departments %v, %v", depts, err)
	}
}

func TestDefine_NewVersionOldImmutable(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	r := registry.New(pool)
	def := registry.DefaultEstablishment()
	def.Steps[0].LimitSeconds = 2 * 3600
	v2, err := r.Define(ctx, registry.EstablishmentItem, def, "tester")
	if err != nil {
		t.Fatal(err)
	}
	v1, err := r.Version(ctx, registry.EstablishmentItem, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.Digest == v1.Digest || v1.Steps[0].LimitSeconds != 8*3600 {
		t.Fatalf("v2 %d %s, v1 %s limit %d", v2.Version, v2.Digest, v1.Digest, v1.Steps[0].LimitSeconds)
	}
	cur, err := r.Version(ctx, registry.EstablishmentItem, 0)
	if err != nil || cur.Version != 2 || cur.Steps[0].LimitSeconds != 2*3600 {
		t.Fatalf("current %+v, %v", cur, err)
	}
	vs, err := r.Versions(ctx, registry.EstablishmentItem)
	if err != nil || len(vs) != 2 || vs[0].Version != 2 {
		t.Fatalf("versions %d, %v", len(vs), err)
	}
	if _, err := pool.Exec(ctx, `UPDATE registry_definitions SET body = '{}' WHERE item = 'establishment' AND version = 1`); err == nil {
		t.Fatal("a stored version was updated")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM registry_definitions WHERE version = 1`); err == nil {
		t.Fatal("a stored version was deleted")
	}
}

func TestDefine_BadInputChangesNothing(t *testing.T) {
	ctx := context.Background()
	r := registry.New(pgtest.New(t))
	bad := registry.Definition{Steps: []registry.Step{{Key: "aa", Department: "police", LimitSeconds: 1}}}
	if _, err := r.Define(ctx, registry.EstablishmentItem, bad, "t"); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("unknown department: %v", err)
	}
	if _, err := r.Define(ctx, "no-such-item", registry.DefaultEstablishment(), "t"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("unknown item: %v", err)
	}
	if vs, _ := r.Versions(ctx, registry.EstablishmentItem); len(vs) != 1 {
		t.Fatalf("%d versions after refused edits", len(vs))
	}
	if _, err := r.PutItem(ctx, registry.Item{Code: "X", Kind: "nope"}); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("bad item: %v", err)
	}
	if items, _ := r.Items(ctx); len(items) != 1 {
		t.Fatalf("%d items after a refused put", len(items))
	}
	it := registry.Item{Code: "seal-engraving", Name: "印章刻制", Kind: registry.KindPublicService, Department: "seal", LegalBasis: "《印章治安管理办法》", TimeLimitDays: 1}
	got, err := r.PutItem(ctx, it)
	if err != nil || got.CurrentVersion != 0 || got.Materials == nil {
		t.Fatalf("put item %+v, %v", got, err)
	}
}
