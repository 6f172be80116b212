package issuance

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// testUSCC is a code with a valid GB 32100 check character.
const testUSCC = "91370102MA3C4XYK1W"

func testRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer("")
	if errors.Is(err, ErrFontMissing) {
		t.Fatalf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type softSigner struct{ k *sm2.PrivateKey }

func (s softSigner) Public() *ecdsa.PublicKey        { return &s.k.PublicKey }
func (s softSigner) Sign(msg []byte) ([]byte, error) { return gm.Sign(s.k, msg) }

func newSigner(t testing.TB) Signer {
	t.Helper()
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return softSigner{k}
}

func testLicence() Document {
	asset := model.AssetID(string(KindLicence), strings.Repeat("ab", 32), model.DeptMarket, "app-1/market")
	return LicenceDocument(asset, model.DeptMarket, Licence{
		USCC:                testUSCC,
		Name:                "济南开办示范科技有限公司",
		Type:                "有限责任公司(自然人投资或控股)",
		LegalRepresentative: "张三",
		RegisteredCapital:   "壹佰万元整",
		EstablishedOn:       time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
		Address:             "山东省济南市历下区经十路 100 号",
		Scope:               "一般项目：软件开发；信息技术咨询服务；区块链技术相关软件和服务。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
		IssuerName:          "济南市市场监督管理局",
	}, time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC))
}

func TestUSCC_CheckCharacter(t *testing.T) {
	if !validUSCC(testUSCC) {
		t.Fatalf("%s should be valid", testUSCC)
	}
	if validUSCC("91370102MA3C4XYK1X") || validUSCC("short") || validUSCC("91370102MA3C4XYKIW") {
		t.Fatal("invalid codes accepted")
	}
}

func TestRender_LicenceContainsFieldsAndVerifies(t *testing.T) {
	r := testRenderer(t)
	s := newSigner(t)
	d := testLicence()
	signed, err := r.Sign(d, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed.PDF, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", signed.PDF[:16])
	}
	text := pdfText(t, signed.PDF)
	for _, f := range d.Fields {
		for _, want := range []string{f.Label, firstWords(f.Value)} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q (field %s)", want, f.Key)
			}
		}
	}
	for _, want := range []string{"营业执照", "济南市市场监督管理局", d.Asset} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if err := VerifyPDFSignature(s.Public(), d.Asset, gm.Hex(signed.PDF), signed.Signature); err != nil {
		t.Fatalf("genuine PDF: %v", err)
	}
	if err := VerifyPayloadSignature(s.Public(), signed.Payload); err != nil {
		t.Fatalf("genuine payload: %v", err)
	}
	if signed.Digest != gm.Hex(signed.PDF) {
		t.Fatal("digest is not the SM3 of the PDF")
	}
}

func TestRender_Deterministic(t *testing.T) {
	r := testRenderer(t)
	d := testLicence()
	p := Payload{Asset: d.Asset, Kind: d.Kind, USCC: d.USCC, Issuer: d.Issuer, Content: strings.Repeat("0", 64), Signature: "c2ln"}
	a, err := r.Render(d, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Render(d, p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("rendering the same document twice gave different bytes")
	}
}

func TestRender_EveryNoticeKind(t *testing.T) {
	r := testRenderer(t)
	s := newSigner(t)
	dir := os.Getenv("KAIBAN_ISSUANCE_SAMPLES")
	for _, k := range Kinds[1:] {
		t.Run(string(k), func(t *testing.T) {
			asset := model.AssetID(string(k), strings.Repeat("ab", 32), k.Department(), "app-1")
			d := NoticeDocument(k, asset, k.Department(), "济南市"+k.Department()+"办理机构", testUSCC, "济南开办示范科技有限公司",
				[]Field{{"registrationNo", "登记编号", "370102-" + string(k)}, {"note", "办理结果", "已办结，请于十五日内办理后续手续。"}},
				time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
			signed, err := r.Sign(d, s)
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, signed.PDF)
			for _, want := range []string{k.Title(), "登记编号", "370102-" + string(k), testUSCC} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q", want)
				}
			}
			if dir != "" {
				if err := os.WriteFile(filepath.Join(dir, string(k)+".pdf"), signed.PDF, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	if dir != "" {
		signed, err := r.Sign(testLicence(), s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "business-licence.pdf"), signed.PDF, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerify_TamperedPDFFails(t *testing.T) {
	r := testRenderer(t)
	s := newSigner(t)
	d := testLicence()
	signed, err := r.Sign(d, s)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(signed.PDF)
	tampered[len(tampered)/2] ^= 1
	if bytes.Equal(tampered, signed.PDF) {
		t.Fatal("tampering changed nothing")
	}
	err = VerifyPDFSignature(s.Public(), d.Asset, gm.Hex(tampered), signed.Signature)
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered PDF: err = %v, want ErrBadSignature", err)
	}
	other := newSigner(t)
	if err := VerifyPDFSignature(other.Public(), d.Asset, signed.Digest, signed.Signature); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("another department's key: err = %v, want ErrBadSignature", err)
	}
}

func TestPayload_RoundTripAndTamper(t *testing.T) {
	r := testRenderer(t)
	s := newSigner(t)
	signed, err := r.Sign(testLicence(), s)
	if err != nil {
		t.Fatal(err)
	}
	code, err := signed.Payload.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(code, "KBV2:") || len(code) > 260 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567:") != "" {
		t.Fatalf("payload %q: want a KBV2: string in the QR code's alphanumeric set", code)
	}
	p, err := DecodePayload(code)
	if err != nil {
		t.Fatal(err)
	}
	if p != signed.Payload {
		t.Fatalf("round trip: %+v != %+v", p, signed.Payload)
	}
	if err := VerifyPayloadSignature(s.Public(), p); err != nil {
		t.Fatal(err)
	}
	p.USCC = "91370102MA3C4XYK2X"
	if err := VerifyPayloadSignature(s.Public(), p); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed USCC: err = %v, want ErrBadSignature", err)
	}
	// The first format, printed on documents issued before KBV2, still reads.
	c, err := model.Canonical(signed.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := DecodePayload("KBV1:" + base64.RawURLEncoding.EncodeToString(c)); err != nil || p != signed.Payload {
		t.Fatalf("KBV1: %+v, %v", p, err)
	}
	// A character changed in transit changes a field, and the signature
	// no longer verifies.
	flipped := []byte(code)
	flipped[len(flipped)-40] = map[bool]byte{true: 'B', false: 'A'}[flipped[len(flipped)-40] == 'A']
	if p, err := DecodePayload(string(flipped)); err == nil && VerifyPayloadSignature(s.Public(), p) == nil {
		t.Fatal("a changed KBV2 payload still verifies")
	}
	// A payload that does not pack exactly is written as KBV1.
	odd := signed.Payload
	odd.Issuer = "市场监管"
	if code, err := odd.Encode(); err != nil || !strings.HasPrefix(code, "KBV1:") {
		t.Fatalf("non-ASCII issuer: %q, %v", code, err)
	} else if p, err := DecodePayload(code); err != nil || p != odd {
		t.Fatalf("KBV1 round trip: %+v, %v", p, err)
	}
	for _, bad := range []string{"", "hello", "KBV1:!!!", "KBV1:e30", `{"a":"x"}`, `{"zz":1}`, "KBV2:", "KBV2:abc!", "KBV2:" + strings.Repeat("A", 40), code[:100]} {
		if _, err := DecodePayload(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("DecodePayload(%q): err = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestDocument_Invalid(t *testing.T) {
	r := testRenderer(t)
	for name, mutate := range map[string]func(*Document){
		"kind":    func(d *Document) { d.Kind = "passport" },
		"asset":   func(d *Document) { d.Asset = "x" },
		"uscc":    func(d *Document) { d.USCC = "91370102MA3C4XYK1X" },
		"company": func(d *Document) { d.CompanyName = " " },
		"fields":  func(d *Document) { d.Fields = nil },
		"time":    func(d *Document) { d.IssuedAt = time.Time{} },
	} {
		d := testLicence()
		mutate(&d)
		if _, err := r.Sign(d, newSigner(t)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestNewRenderer_MissingFont(t *testing.T) {
	_, err := NewRenderer(filepath.Join(t.TempDir(), "none.ttf"))
	if !errors.Is(err, ErrFontMissing) {
		t.Fatalf("err = %v, want ErrFontMissing", err)
	}
	ttc := filepath.Join(t.TempDir(), "c.ttc")
	if err := os.WriteFile(ttc, []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRenderer(ttc); err == nil || !strings.Contains(err.Error(), "not a single TrueType") {
		t.Fatalf("collection: err = %v", err)
	}
}

// pdfText extracts the text of a PDF with poppler's pdftotext, which proves
// the file parses and that its embedded font maps the glyphs back to the
// characters written.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found: run scripts/install-fonts.sh (installs poppler-utils)")
	}
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

func firstWords(s string) string {
	s = strings.Join(strings.Fields(s), "")
	if r := []rune(s); len(r) > 10 {
		return string(r[:10])
	}
	return s
}

func TestAssetTypes_OnePerDepartment(t *testing.T) {
	members := map[string]string{}
	for _, d := range model.Departments {
		members[d] = strings.ToUpper(d[:1]) + d[1:] + "MSP"
	}
	defs, err := AssetTypes(members)
	if err != nil || len(defs) != 7 {
		t.Fatalf("%d definitions, %v", len(defs), err)
	}
	for _, d := range defs {
		if k := Kind(d.Code); !k.Valid() || d.Issuers[0] != members[k.Department()] {
			t.Errorf("definition %+v", d)
		}
	}
	delete(members, model.DeptTax)
	if _, err := AssetTypes(members); !errors.Is(err, ErrInvalid) {
		t.Fatalf("missing member: %v", err)
	}
}
