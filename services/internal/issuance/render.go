package issuance

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"strings"
	"sync"

	"github.com/boombuler/barcode/qr"
	"github.com/signintech/gopdf"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/qrcode"
	"github.com/kaiban-platform/kaiban/services/internal/ttf"
)

// FontCandidates are the CJK TrueType fonts NewRenderer tries, in order,
// when no path is given. scripts/install-fonts.sh installs the first (Debian
// fonts-droid-fallback). A font must be a single TrueType file (.ttf): the
// PDF library embeds a subset of its glyphs and cannot read collections (.ttc)
// or CFF-outline OpenType.
var FontCandidates = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
	"/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf",
}

// LatinFontCandidates are the TrueType fonts tried for Latin letters and
// digits, which the CJK fallback fonts lack (Debian fonts-dejavu-core,
// fonts-liberation).
var LatinFontCandidates = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
}

// ErrFontMissing is returned by NewRenderer when no CJK font is found.
var ErrFontMissing = errors.New("no CJK TrueType font for rendering documents: run scripts/install-fonts.sh (Debian fonts-droid-fallback, fonts-dejavu-core) or give a font path")

// Renderer renders documents as PDF with a CJK font, and a Latin font for
// the letters and digits the CJK font lacks. Both are parsed once; each
// document embeds subsets of only its own characters (package ttf). It is
// safe for concurrent use.
type Renderer struct {
	cjk, latin          *ttf.Font
	fontPath, latinPath string
}

// NewRenderer loads the CJK TrueType font at path, or the first of
// FontCandidates that exists when path is empty, and the first of
// LatinFontCandidates.
func NewRenderer(path string) (*Renderer, error) {
	paths := FontCandidates
	if path != "" {
		paths = []string{path}
	}
	cjk, cjkPath, err := loadFont(paths)
	if err != nil {
		return nil, err
	}
	latin, latinPath, err := loadFont(LatinFontCandidates)
	if err != nil {
		return nil, err
	}
	return &Renderer{cjk: cjk, latin: latin, fontPath: cjkPath, latinPath: latinPath}, nil
}

func loadFont(paths []string) (*ttf.Font, string, error) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("read font %s: %w", p, err)
		}
		if len(b) < 12 || string(b[:4]) == "ttcf" || string(b[:4]) == "OTTO" {
			return nil, "", fmt.Errorf("font %s is not a single TrueType font (.ttf)", p)
		}
		f, err := ttf.Parse(b)
		if err != nil {
			return nil, "", fmt.Errorf("font %s: %w", p, err)
		}
		return f, p, nil
	}
	return nil, "", fmt.Errorf("%w (looked for %s)", ErrFontMissing, strings.Join(paths, ", "))
}

// FontPath returns the path of the font in use.
func (r *Renderer) FontPath() string { return r.fontPath }

// A4 in points, and the page's margins.
const (
	pageW  = 595.28
	pageH  = 841.89
	margin = 56.0
	labelW = 110.0
)

// Render returns the PDF of d with its verification payload as a QR code.
// The output depends only on its inputs (the PDF's dates are the issue
// time), so rendering the same document again yields the same bytes and the
// same digest.
func (r *Renderer) Render(d Document, p Payload) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	code, err := p.Encode()
	if err != nil {
		return nil, err
	}
	sh := newSheet(d)
	var pdf gopdf.GoPdf
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	// The embedded font subset dominates the file; the fastest deflate level
	// costs a few kilobytes and saves a third of the rendering time.
	pdf.SetCompressLevel(flate.BestSpeed)
	pdf.SetInfo(gopdf.PdfInfo{
		Title:        d.Kind.Title() + " " + d.CompanyName,
		Subject:      string(d.Kind) + " " + d.Asset,
		Author:       d.IssuerName,
		Creator:      "Kaiban unified issuance (DB37/T 4431-2021 7.6.7)",
		Producer:     "Kaiban",
		CreationDate: d.IssuedAt,
	})
	// Each font embedded as a subset of the sheet's characters, which it
	// prints exactly as the whole font would. A character the subset lacks
	// although the font has it would be printed as a space: that is a bug
	// here, and fails the rendering rather than issuing a wrong document.
	var lost []rune
	cjkText, latinText := sh.characters()
	for _, f := range []struct {
		name, path, text string
		font             *ttf.Font
	}{{fontCJK, r.fontPath, cjkText, r.cjk}, {fontLatin, r.latinPath, latinText, r.latin}} {
		sub, err := f.font.Subset(f.text)
		if err != nil {
			return nil, fmt.Errorf("subset font %s: %w", f.path, err)
		}
		opt := gopdf.TtfOption{OnGlyphNotFound: func(c rune) {
			if f.font.Glyph(c) != 0 {
				lost = append(lost, c)
			}
		}}
		if err := pdf.AddTTFFontDataWithOption(f.name, sub, opt); err != nil {
			return nil, fmt.Errorf("load font %s: %w", f.path, err)
		}
	}
	pdf.AddPage()
	pen := &pen{pdf: &pdf}

	// Frame and title.
	pdf.SetLineWidth(1.5)
	pdf.SetStrokeColor(160, 30, 30)
	pdf.RectFromUpperLeft(margin/2, margin/2, pageW-margin, pageH-margin)
	pdf.SetTextColor(160, 30, 30)
	pen.size = 30
	if len([]rune(sh.title)) > 4 {
		pen.size = 22
	}
	if err := pen.centered(sh.title, margin+10); err != nil {
		return nil, err
	}
	pdf.SetTextColor(0, 0, 0)
	pen.size = 12
	if err := pen.centered(sh.uscc, margin+56); err != nil {
		return nil, err
	}

	// QR code of the payload, top right.
	img, err := qrImage(code)
	if err != nil {
		return nil, err
	}
	const qrSize = 96.0
	if err := pdf.ImageByHolder(img, pageW-margin-qrSize, margin, &gopdf.Rect{W: qrSize, H: qrSize}); err != nil {
		return nil, fmt.Errorf("draw QR code: %w", err)
	}

	// Fields: label, then the value wrapped in the remaining width.
	y := margin + 120
	valueW := pageW - 2*margin - labelW
	for _, f := range sh.fields {
		lines, err := pen.wrap(f.Value, valueW)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Key, err)
		}
		if err := pen.write(margin, y, f.Label); err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Key, err)
		}
		for _, line := range lines {
			if err := pen.write(margin+labelW, y, line); err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Key, err)
			}
			y += 18
		}
		y += 8
		if y > pageH-220 {
			return nil, fmt.Errorf("%w: fields do not fit on one page", ErrInvalid)
		}
	}

	// Issuer and date, bottom right, under the place of the seal.
	pen.size = 14
	pdf.SetStrokeColor(200, 40, 40)
	pdf.SetLineWidth(2)
	cx, cy := pageW-margin-90, pageH-margin-120
	pdf.Oval(cx-45, cy-45, cx+45, cy+45)
	w, err := pen.width(sh.issuer)
	if err != nil {
		return nil, err
	}
	if err := pen.write(pageW-margin-20-w, pageH-margin-130, sh.issuer); err != nil {
		return nil, err
	}
	if w, err = pen.width(sh.date); err != nil {
		return nil, err
	}
	if err := pen.write(pageW-margin-20-w, pageH-margin-108, sh.date); err != nil {
		return nil, err
	}

	// Footer: what the document is and how to check it.
	pen.size = 8
	pdf.SetTextColor(90, 90, 90)
	for i, line := range sh.footer {
		if err := pen.write(margin, pageH-margin-40+float64(i)*11, line); err != nil {
			return nil, err
		}
	}
	if len(lost) > 0 {
		return nil, fmt.Errorf("render %s: characters %q missing from the embedded font subset", d.Asset, string(lost))
	}
	out, err := pdf.GetBytesPdfReturnErr()
	if err != nil {
		return nil, fmt.Errorf("write PDF: %w", err)
	}
	return out, nil
}

// sheet is every string a document prints, worked out before drawing so
// that the fonts can be cut down to its characters.
type sheet struct {
	title, uscc  string
	fields       []Field
	issuer, date string
	footer       []string
}

func newSheet(d Document) sheet {
	return sheet{
		title:  d.Kind.Title(),
		uscc:   "统一社会信用代码 " + d.USCC,
		fields: d.Fields,
		issuer: "发证机关  " + d.IssuerName,
		date:   chineseDate(d.IssuedAt),
		footer: []string{
			"本文件由基于区块链的企业开办可信服务平台统一出件，经发证部门 SM2 签名，存证于区块链。",
			"扫描二维码或上传本文件至验证服务即可核验真伪及状态。",
			"资产编号 " + d.Asset,
			"签发时间 " + model.FormatTime(d.IssuedAt) + "  发证部门 " + d.Issuer,
		},
	}
}

// characters returns the sheet's characters set in the CJK font and those
// set in the Latin font (see pen), each with the space that replaces a
// character a font lacks.
func (s sheet) characters() (cjk, latinText string) {
	var c, l strings.Builder
	c.WriteByte(' ')
	l.WriteByte(' ')
	add := func(text string) {
		for _, r := range text {
			if latin(r) {
				l.WriteRune(r)
			} else {
				c.WriteRune(r)
			}
		}
	}
	add(s.title)
	add(s.uscc)
	for _, f := range s.fields {
		add(f.Label)
		add(f.Value)
	}
	add(s.issuer)
	add(s.date)
	for _, line := range s.footer {
		add(line)
	}
	return c.String(), l.String()
}

// qrModule is the side of a QR module in image pixels.
const qrModule = 4

// pngEncoder writes the QR image: an 8-bit grey PNG (the PDF library embeds
// its IDAT stream as it is, and no 16-bit PNGs), at the fastest deflate
// level with reused buffers, since the library's own image path encodes at
// the default level with fresh ones for every document.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers{}}

type pngBuffers struct{ sync.Pool }

func (p *pngBuffers) Get() *png.EncoderBuffer {
	b, _ := p.Pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngBuffers) Put(b *png.EncoderBuffer) { p.Pool.Put(b) }

// qrImage returns the QR code of payload (error correction level L: the
// payload is long, a signature and a digest, and printed large on clean
// paper) as a PNG image. A KBV2 payload is alphanumeric and goes through
// package qrcode; anything else (a KBV1 payload) through boombuler/barcode,
// which makes the same symbols for alphanumeric text at ten times the CPU.
func qrImage(payload string) (gopdf.ImageHolder, error) {
	if c, err := qrcode.Encode(payload); err == nil {
		return qrPNG(c.Size(), c.Dark)
	}
	c, err := qr.Encode(payload, qr.L, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("encode QR payload: %w", err)
	}
	return qrPNG(c.Bounds().Dx(), func(x, y int) bool {
		r, _, _, _ := c.At(x, y).RGBA()
		return r < 0x8000
	})
}

// qrPNG draws a QR code of size modules a side with qrModule pixels a
// module, black on white.
func qrPNG(size int, dark func(x, y int) bool) (gopdf.ImageHolder, error) {
	grey := image.NewGray(image.Rect(0, 0, size*qrModule, size*qrModule))
	for y := range size {
		for x := range size {
			v := uint8(255)
			if dark(x, y) {
				v = 0
			}
			for dy := range qrModule {
				row := grey.Pix[(y*qrModule+dy)*grey.Stride+x*qrModule:]
				for dx := range qrModule {
					row[dx] = v
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := pngEncoder.Encode(&buf, grey); err != nil {
		return nil, fmt.Errorf("encode QR image: %w", err)
	}
	img, err := gopdf.ImageHolderByBytes(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("QR image: %w", err)
	}
	return img, nil
}

// The two embedded fonts.
const (
	fontCJK   = "cjk"
	fontLatin = "latin"
)

// pen writes text of one size, switching between the CJK font and the
// Latin font run by run.
type pen struct {
	pdf  *gopdf.GoPdf
	size float64
}

func latin(r rune) bool { return r < 0x250 }

// runs splits text into maximal runs of one font.
func runs(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		if i > start && latin(r) != latin([]rune(text[start:])[0]) {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

func (p *pen) font(run string) error {
	name := fontCJK
	if latin([]rune(run)[0]) {
		name = fontLatin
	}
	return p.pdf.SetFont(name, "", p.size)
}

func (p *pen) width(text string) (float64, error) {
	total := 0.0
	for _, run := range runs(text) {
		if err := p.font(run); err != nil {
			return 0, err
		}
		w, err := p.pdf.MeasureTextWidth(run)
		if err != nil {
			return 0, fmt.Errorf("measure %q: %w", run, err)
		}
		total += w
	}
	return total, nil
}

func (p *pen) write(x, y float64, text string) error {
	for _, run := range runs(text) {
		if err := p.font(run); err != nil {
			return err
		}
		w, err := p.pdf.MeasureTextWidth(run)
		if err != nil {
			return fmt.Errorf("measure %q: %w", run, err)
		}
		p.pdf.SetXY(x, y)
		if err := p.pdf.Cell(nil, run); err != nil {
			return fmt.Errorf("write %q: %w", run, err)
		}
		x += w
	}
	return nil
}

func (p *pen) centered(text string, y float64) error {
	w, err := p.width(text)
	if err != nil {
		return err
	}
	return p.write((pageW-w)/2, y, text)
}

// wrap breaks text into lines no wider than width, between any two
// characters (Chinese has no spaces to break at).
func (p *pen) wrap(text string, width float64) ([]string, error) {
	var lines []string
	line, lineW := "", 0.0
	for _, r := range text {
		w, err := p.width(string(r))
		if err != nil {
			return nil, err
		}
		if lineW+w > width && line != "" {
			lines = append(lines, line)
			line, lineW = "", 0
		}
		line += string(r)
		lineW += w
	}
	return append(lines, line), nil
}
