// Package ttf cuts a TrueType font down to the glyphs of a given text, with
// the glyphs renumbered, so that a PDF library embeds a few kilobytes instead
// of tables sized for the whole font.
//
// The CJK fonts the documents are printed with have tens of thousands of
// glyphs (DroidSansFallbackFull: 49,382, 4 MB). A PDF library that subsets by
// keeping the glyph numbers still writes loca and hmtx for every glyph
// (350 KB for a one-page document), compresses them, and parses the 4 MB
// font for every document. Parsing the font once here and handing the
// library a font of only the document's glyphs removes both costs and
// leaves what is printed unchanged: the outlines, advance widths, metrics and
// hinting programs are copied as they are.
package ttf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// ErrFormat is wrapped by every error about a font that cannot be read.
var ErrFormat = errors.New("not a usable TrueType font")

// Font is a parsed TrueType font, read-only and safe for concurrent use.
type Font struct {
	data      []byte
	tables    map[string][]byte
	numGlyphs int
	numHMetrs int
	longLoca  bool
	loca      []uint32 // numGlyphs+1 offsets into glyf
	cmap      []segment
	cmapData  []byte // the format 4 subtable, for idRangeOffset lookups
}

// segment is one segment of a cmap format 4 subtable.
type segment struct {
	start, end    uint16
	delta         uint16
	rangeOffset   uint16
	rangeOffsetAt int // position of this segment's idRangeOffset in cmapData
}

// tablesKept are the tables a subset carries. Tables that name glyphs by
// number (GSUB, GPOS, GDEF, kern, vmtx, post names) are dropped: horizontal
// text set glyph by glyph needs none of them.
var tablesKept = []string{"OS/2", "cvt ", "fpgm", "gasp", "name", "prep"}

// Parse reads a single TrueType font (not a collection, not CFF outlines).
// data is kept, not copied: the caller must not change it.
func Parse(data []byte) (*Font, error) {
	if len(data) < 12 || binary.BigEndian.Uint32(data) != 0x00010000 {
		return nil, fmt.Errorf("%w: not a TrueType outline font", ErrFormat)
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if len(data) < 12+16*n {
		return nil, fmt.Errorf("%w: truncated table directory", ErrFormat)
	}
	f := &Font{data: data, tables: make(map[string][]byte, n)}
	for i := range n {
		rec := data[12+16*i:]
		off, size := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(size) > uint64(len(data)) {
			return nil, fmt.Errorf("%w: table %q past the end of the file", ErrFormat, rec[:4])
		}
		f.tables[string(rec[:4])] = data[off : off+size]
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap", "post"} {
		if f.tables[tag] == nil {
			return nil, fmt.Errorf("%w: no %s table", ErrFormat, tag)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 || len(f.tables["post"]) < 32 {
		return nil, fmt.Errorf("%w: short head, hhea, maxp or post table", ErrFormat)
	}
	f.longLoca = binary.BigEndian.Uint16(head[50:]) == 1
	f.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	f.numHMetrs = int(binary.BigEndian.Uint16(hhea[34:]))
	if f.numHMetrs < 1 || f.numHMetrs > f.numGlyphs ||
		len(f.tables["hmtx"]) < 4*f.numHMetrs+2*(f.numGlyphs-f.numHMetrs) {
		return nil, fmt.Errorf("%w: hmtx does not match hhea and maxp", ErrFormat)
	}
	if err := f.parseLoca(); err != nil {
		return nil, err
	}
	if err := f.parseCmap(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Font) parseLoca() error {
	loca, glyf := f.tables["loca"], f.tables["glyf"]
	f.loca = make([]uint32, f.numGlyphs+1)
	for i := range f.loca {
		if f.longLoca {
			if len(loca) < 4*(i+1) {
				return fmt.Errorf("%w: short loca table", ErrFormat)
			}
			f.loca[i] = binary.BigEndian.Uint32(loca[4*i:])
		} else {
			if len(loca) < 2*(i+1) {
				return fmt.Errorf("%w: short loca table", ErrFormat)
			}
			f.loca[i] = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		}
		if f.loca[i] > uint32(len(glyf)) || (i > 0 && f.loca[i] < f.loca[i-1]) {
			return fmt.Errorf("%w: loca entry %d out of order or past glyf", ErrFormat, i)
		}
	}
	return nil
}

// parseCmap reads the Windows Unicode BMP subtable (platform 3, encoding
// 1, format 4): the one PDF libraries look characters up in.
func (f *Font) parseCmap() error {
	cmap := f.tables["cmap"]
	if len(cmap) < 4 {
		return fmt.Errorf("%w: short cmap", ErrFormat)
	}
	var sub []byte
	for i := range int(binary.BigEndian.Uint16(cmap[2:])) {
		rec := cmap[4+8*i:]
		if len(rec) < 8 {
			return fmt.Errorf("%w: short cmap", ErrFormat)
		}
		off := binary.BigEndian.Uint32(rec[4:])
		if binary.BigEndian.Uint16(rec) == 3 && binary.BigEndian.Uint16(rec[2:]) == 1 && int64(off)+14 <= int64(len(cmap)) {
			sub = cmap[off:]
		}
	}
	if sub == nil || binary.BigEndian.Uint16(sub) != 4 {
		return fmt.Errorf("%w: no Unicode BMP cmap (3,1) of format 4", ErrFormat)
	}
	if l := int(binary.BigEndian.Uint16(sub[2:])); l <= len(sub) {
		sub = sub[:l]
	}
	segs := int(binary.BigEndian.Uint16(sub[6:])) / 2
	if len(sub) < 16+8*segs {
		return fmt.Errorf("%w: short cmap format 4", ErrFormat)
	}
	f.cmapData = sub
	f.cmap = make([]segment, segs)
	for i := range segs {
		s := &f.cmap[i]
		s.end = binary.BigEndian.Uint16(sub[14+2*i:])
		s.start = binary.BigEndian.Uint16(sub[16+2*segs+2*i:])
		s.delta = binary.BigEndian.Uint16(sub[16+4*segs+2*i:])
		s.rangeOffsetAt = 16 + 6*segs + 2*i
		s.rangeOffset = binary.BigEndian.Uint16(sub[s.rangeOffsetAt:])
	}
	return nil
}

// NumGlyphs returns the font's number of glyphs.
func (f *Font) NumGlyphs() int { return f.numGlyphs }

// Glyph returns the glyph of r, or 0 (.notdef) when the font has none.
func (f *Font) Glyph(r rune) uint16 {
	if r < 0 || r > 0xFFFF {
		return 0
	}
	c := uint16(r)
	i := sort.Search(len(f.cmap), func(i int) bool { return f.cmap[i].end >= c })
	if i == len(f.cmap) || f.cmap[i].start > c {
		return 0
	}
	s := f.cmap[i]
	if s.rangeOffset == 0 {
		if g := c + s.delta; int(g) < f.numGlyphs {
			return g
		}
		return 0
	}
	at := s.rangeOffsetAt + int(s.rangeOffset) + 2*int(c-s.start)
	if at+2 > len(f.cmapData) {
		return 0
	}
	g := binary.BigEndian.Uint16(f.cmapData[at:])
	if g == 0 {
		return 0
	}
	g += s.delta
	if int(g) >= f.numGlyphs {
		return 0
	}
	return g
}

// glyph returns the outline data of glyph g.
func (f *Font) glyph(g uint16) []byte {
	return f.tables["glyf"][f.loca[g]:f.loca[int(g)+1]]
}

// metric returns the advance width and left side bearing of glyph g.
func (f *Font) metric(g uint16) (advance, lsb uint16) {
	hmtx, i := f.tables["hmtx"], int(g) // int: 4*g overflows uint16
	if i < f.numHMetrs {
		return binary.BigEndian.Uint16(hmtx[4*i:]), binary.BigEndian.Uint16(hmtx[4*i+2:])
	}
	last := 4 * (f.numHMetrs - 1)
	return binary.BigEndian.Uint16(hmtx[last:]), binary.BigEndian.Uint16(hmtx[4*f.numHMetrs+2*(i-f.numHMetrs):])
}

// Composite glyph flags (OpenType glyf table).
const (
	argsAreWords    = 0x0001
	haveScale       = 0x0008
	moreComponents  = 0x0020
	haveXYScale     = 0x0040
	haveTwoByTwo    = 0x0080
	compositeHeader = 10
)

// components calls fn with the position (within data) of each component
// glyph number of a composite glyph; a simple glyph has none.
func components(data []byte, fn func(at int)) error {
	if len(data) < compositeHeader || int16(binary.BigEndian.Uint16(data)) >= 0 {
		return nil
	}
	at := compositeHeader
	for {
		if at+4 > len(data) {
			return fmt.Errorf("%w: truncated composite glyph", ErrFormat)
		}
		flags := binary.BigEndian.Uint16(data[at:])
		fn(at + 2)
		at += 4
		if flags&argsAreWords != 0 {
			at += 4
		} else {
			at += 2
		}
		switch {
		case flags&haveScale != 0:
			at += 2
		case flags&haveXYScale != 0:
			at += 4
		case flags&haveTwoByTwo != 0:
			at += 8
		}
		if flags&moreComponents == 0 {
			return nil
		}
	}
}

// Subset returns a TrueType font with .notdef, the glyphs of the characters
// of text that the font has, and the glyphs their composites use, numbered
// anew in the order of their old numbers. Characters the font lacks are left
// out, so a PDF library finds them missing in the subset exactly as in the
// whole font. Every character of text outside the Basic Multilingual Plane
// is missing too (the cmap read is the BMP one).
func (f *Font) Subset(text string) ([]byte, error) {
	chars := map[uint16]uint16{} // character → old glyph
	keep := map[uint16]bool{0: true}
	for _, r := range text {
		if g := f.Glyph(r); g != 0 {
			chars[uint16(r)] = g
			keep[g] = true
		}
	}
	// The closure of composite glyphs, to any depth.
	queue := make([]uint16, 0, len(keep))
	for g := range keep {
		queue = append(queue, g)
	}
	for len(queue) > 0 {
		g := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		data := f.glyph(g)
		var bad bool
		if err := components(data, func(at int) {
			c := binary.BigEndian.Uint16(data[at:])
			if int(c) >= f.numGlyphs {
				bad = true
				return
			}
			if !keep[c] {
				keep[c] = true
				queue = append(queue, c)
			}
		}); err != nil {
			return nil, err
		}
		if bad {
			return nil, fmt.Errorf("%w: composite glyph %d names a glyph past the font", ErrFormat, g)
		}
	}
	old := make([]uint16, 0, len(keep))
	for g := range keep {
		old = append(old, g)
	}
	slices.Sort(old)
	renum := make(map[uint16]uint16, len(old))
	for i, g := range old {
		renum[g] = uint16(i)
	}

	var glyf []byte
	loca := make([]byte, 4*(len(old)+1))
	hmtx := make([]byte, 4*len(old))
	for i, g := range old {
		binary.BigEndian.PutUint32(loca[4*i:], uint32(len(glyf)))
		start := len(glyf)
		glyf = append(glyf, f.glyph(g)...)
		if err := components(glyf[start:], func(at int) {
			at += start
			binary.BigEndian.PutUint16(glyf[at:], renum[binary.BigEndian.Uint16(glyf[at:])])
		}); err != nil {
			return nil, err
		}
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		adv, lsb := f.metric(g)
		binary.BigEndian.PutUint16(hmtx[4*i:], adv)
		binary.BigEndian.PutUint16(hmtx[4*i+2:], lsb)
	}
	binary.BigEndian.PutUint32(loca[4*len(old):], uint32(len(glyf)))

	head := slices.Clone(f.tables["head"])
	binary.BigEndian.PutUint32(head[8:], 0) // checkSumAdjustment, set last
	binary.BigEndian.PutUint16(head[50:], 1)
	hhea := slices.Clone(f.tables["hhea"])
	binary.BigEndian.PutUint16(hhea[34:], uint16(len(old)))
	maxp := slices.Clone(f.tables["maxp"])
	binary.BigEndian.PutUint16(maxp[4:], uint16(len(old)))
	post := slices.Clone(f.tables["post"][:32])
	binary.BigEndian.PutUint32(post, 0x00030000) // no glyph names

	out := map[string][]byte{
		"cmap": cmapFormat4(chars, renum), "glyf": glyf, "head": head, "hhea": hhea,
		"hmtx": hmtx, "loca": loca, "maxp": maxp, "post": post,
	}
	for _, tag := range tablesKept {
		if t := f.tables[tag]; t != nil {
			out[tag] = t
		}
	}
	return assemble(out), nil
}

// cmapFormat4 returns a cmap with one subtable (3,1) of format 4 mapping
// each character to its new glyph, one segment per character.
func cmapFormat4(chars map[uint16]uint16, renum map[uint16]uint16) []byte {
	codes := make([]uint16, 0, len(chars)+1)
	for c := range chars {
		if c != 0xFFFF {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	codes = append(codes, 0xFFFF) // the required last segment
	segs := len(codes)
	sub := make([]byte, 16+8*segs)
	be := binary.BigEndian
	be.PutUint16(sub[0:], 4)
	be.PutUint16(sub[2:], uint16(len(sub)))
	be.PutUint16(sub[6:], uint16(2*segs))
	entrySel := 0
	for 1<<(entrySel+1) <= segs {
		entrySel++
	}
	be.PutUint16(sub[8:], uint16(2<<entrySel))
	be.PutUint16(sub[10:], uint16(entrySel))
	be.PutUint16(sub[12:], uint16(2*segs-2<<entrySel))
	for i, c := range codes {
		var g uint16
		if c != 0xFFFF {
			g = renum[chars[c]]
		} else {
			g = 0 // 0xFFFF maps to .notdef: delta 1 wraps it to 0
		}
		be.PutUint16(sub[14+2*i:], c)
		be.PutUint16(sub[16+2*segs+2*i:], c)
		be.PutUint16(sub[16+4*segs+2*i:], g-c)
	}
	cmap := make([]byte, 12, 12+len(sub))
	be.PutUint16(cmap[2:], 1)  // one subtable
	be.PutUint16(cmap[4:], 3)  // Windows
	be.PutUint16(cmap[6:], 1)  // Unicode BMP
	be.PutUint32(cmap[8:], 12) // right after the header
	return append(cmap, sub...)
}

// assemble writes the font file: the table directory in tag order, each
// table on a four-byte boundary with its checksum, then head's
// checkSumAdjustment.
func assemble(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	n := len(tags)
	entrySel := 0
	for 1<<(entrySel+1) <= n {
		entrySel++
	}
	be := binary.BigEndian
	size := 12 + 16*n
	for _, t := range tags {
		size += (len(tables[t]) + 3) &^ 3
	}
	out := make([]byte, 12+16*n, size)
	be.PutUint32(out, 0x00010000)
	be.PutUint16(out[4:], uint16(n))
	be.PutUint16(out[6:], uint16(16<<entrySel))
	be.PutUint16(out[8:], uint16(entrySel))
	be.PutUint16(out[10:], uint16(16*n-16<<entrySel))
	headAt := 0
	for i, t := range tags {
		data := tables[t]
		rec := out[12+16*i:]
		copy(rec, t)
		be.PutUint32(rec[4:], checksum(data))
		be.PutUint32(rec[8:], uint32(len(out)))
		be.PutUint32(rec[12:], uint32(len(data)))
		if t == "head" {
			headAt = len(out)
		}
		out = append(out, data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	be.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	return out
}

// checksum is the OpenType table checksum: the sum of the big-endian
// 32-bit words, the last one padded with zeros.
func checksum(data []byte) uint32 {
	var sum uint32
	for i := 0; i < len(data); i += 4 {
		var w [4]byte
		copy(w[:], data[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
