package ttf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/signintech/gopdf/fontmaker/core"
)

// The fonts scripts/install-fonts.sh installs (Debian fonts-droid-fallback,
// fonts-dejavu-core).
const (
	cjkFont   = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
	latinFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
)

func load(t testing.TB, path string) *Font {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run scripts/install-fonts.sh", err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSubset_SameGlyphsAndMetrics: every character of the text keeps its
// outline and advance width, under a new glyph number, and the subset is
// read back both by this package and by the PDF library's parser.
func TestSubset_SameGlyphsAndMetrics(t *testing.T) {
	for _, tc := range []struct{ font, text string }{
		{cjkFont, "营业执照 统一社会信用代码 91370102MA3C4XYK1W（有限责任公司）；。即可核验真伪及状态，龘"},
		{latinFont, "Kaiban 0123456789 éàüÅ ﬁ"},
	} {
		full := load(t, tc.font)
		data, err := full.Subset(tc.text)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := Parse(data)
		if err != nil {
			t.Fatalf("subset of %s does not parse: %v", tc.font, err)
		}
		if sub.NumGlyphs() >= 200 || sub.NumGlyphs() < 2 {
			t.Fatalf("%s: %d glyphs in the subset", tc.font, sub.NumGlyphs())
		}
		// The PDF library's own reading of the whole font is the reference
		// for advance widths, independent of this package's.
		var whole core.TTFParser
		if err := whole.ParseFontData(full.data); err != nil {
			t.Fatal(err)
		}
		var pdfp core.TTFParser
		if err := pdfp.ParseFontData(data); err != nil {
			t.Fatalf("the PDF library cannot parse the subset of %s: %v", tc.font, err)
		}
		if int(pdfp.NumGlyphs()) != sub.NumGlyphs() {
			t.Fatalf("PDF library reads %d glyphs, want %d", pdfp.NumGlyphs(), sub.NumGlyphs())
		}
		for _, r := range tc.text {
			og, ng := full.Glyph(r), sub.Glyph(r)
			if (og == 0) != (ng == 0) {
				t.Fatalf("%q: glyph %d in the font, %d in the subset", r, og, ng)
			}
			if og == 0 {
				continue
			}
			if got := pdfp.Chars()[int(r)]; got != uint(ng) {
				t.Fatalf("%q: the PDF library maps it to glyph %d, want %d", r, got, ng)
			}
			if w, sw := whole.Widths()[og], pdfp.Widths()[ng]; w != sw || whole.UnitsPerEm() != pdfp.UnitsPerEm() {
				t.Fatalf("%q: advance %d in the font, %d in the subset", r, w, sw)
			}
			oa, ol := full.metric(og)
			na, nl := sub.metric(ng)
			if oa != na || ol != nl {
				t.Fatalf("%q: metrics %d/%d, subset %d/%d", r, oa, ol, na, nl)
			}
			if o := full.glyph(og); len(o) >= 2 && int16(binary.BigEndian.Uint16(o)) >= 0 && !bytes.Equal(full.glyph(og), trimPad(sub.glyph(ng), len(full.glyph(og)))) {
				t.Fatalf("%q: outline changed", r)
			}
		}
	}
}

func trimPad(b []byte, n int) []byte {
	if len(b) >= n {
		return b[:n]
	}
	return b
}

// TestSubset_CompositeGlyphsRenumbered: a composite glyph's components come
// along, and its references name their new numbers.
func TestSubset_CompositeGlyphsRenumbered(t *testing.T) {
	full := load(t, latinFont)
	var composite rune
	for r := rune(0xC0); r < 0x250 && composite == 0; r++ {
		if g := full.Glyph(r); g != 0 && len(full.glyph(g)) >= 2 && int16(binary.BigEndian.Uint16(full.glyph(g))) < 0 {
			composite = r
		}
	}
	if composite == 0 {
		t.Fatal("no composite glyph among Latin letters with diacritics")
	}
	data, err := full.Subset(string(composite))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var olds, news []uint16
	og := full.glyph(full.Glyph(composite))
	_ = components(og, func(at int) { olds = append(olds, binary.BigEndian.Uint16(og[at:])) })
	ng := sub.glyph(sub.Glyph(composite))
	_ = components(ng, func(at int) { news = append(news, binary.BigEndian.Uint16(ng[at:])) })
	if len(olds) == 0 || len(olds) != len(news) {
		t.Fatalf("components %v → %v", olds, news)
	}
	for i := range olds {
		if int(news[i]) >= sub.NumGlyphs() || !bytes.Equal(trimPad(sub.glyph(news[i]), len(full.glyph(olds[i]))), full.glyph(olds[i])) {
			t.Fatalf("component %d: glyph %d became %d, not the same outline", i, olds[i], news[i])
		}
	}
}

func TestSubset_MissingCharactersStayMissing(t *testing.T) {
	full := load(t, latinFont)
	data, err := full.Subset("A营")
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := Parse(data)
	if sub.Glyph('营') != 0 || sub.Glyph('A') == 0 || sub.NumGlyphs() != 2 {
		t.Fatalf("glyphs: 营 %d, A %d, %d in all", sub.Glyph('营'), sub.Glyph('A'), sub.NumGlyphs())
	}
}

func TestParse_Rejects(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":      nil,
		"collection": []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01"),
		"cff":        []byte("OTTO\x00\x00\x00\x00\x00\x00\x00\x00"),
		"truncated":  {0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0},
	} {
		if _, err := Parse(data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
	good, err := os.ReadFile(latinFont)
	if err != nil {
		t.Fatal(err)
	}
	// A table that points past the end of the file.
	bad := bytes.Clone(good[:4096])
	if _, err := Parse(bad); !errors.Is(err, ErrFormat) {
		t.Errorf("cut file: err = %v, want ErrFormat", err)
	}
}

func BenchmarkSubset(b *testing.B) {
	full := load(b, cjkFont)
	text := "营业执照 统一社会信用代码 名称 类型 法定代表人 注册资本 成立日期 住所 经营范围 济南开办示范科技有限公司 软件开发；信息技术咨询服务"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := full.Subset(text); err != nil {
			b.Fatal(err)
		}
	}
}
