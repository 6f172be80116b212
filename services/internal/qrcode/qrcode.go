// Package qrcode encodes text in the QR code's alphanumeric mode at error
// correction level L (ISO/IEC 18004), versions 1 to 10: the verification
// payload printed on every issued document.
//
// It makes the same symbol as github.com/boombuler/barcode/qr (same
// version, same mask chosen by the same penalty rules, module for module;
// TestEncode_SameAsBoombuler), on flat byte slices instead of bit lists,
// channels and goroutines per module: about a tenth of the CPU, where the
// QR code had become half of rendering a document.
package qrcode

import (
	"errors"
	"math"
	"strings"
)

// ErrUnsupported is returned for text outside the alphanumeric set or too
// long for version 10; callers fall back to a general encoder.
var ErrUnsupported = errors.New("qrcode: not alphanumeric, or too long for version 10-L")

// Code is a QR symbol, without the quiet zone.
type Code struct {
	size    int
	modules []byte // 1 dark, 0 light; index x*size+y
}

// Size returns the number of modules a side.
func (c *Code) Size() int { return c.size }

// Dark reports whether the module in column x, row y is dark.
func (c *Code) Dark(x, y int) bool { return c.modules[x*c.size+y] == 1 }

// alphabet is the alphanumeric mode's character set, in code order.
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// level L of versions 1 to 10: EC codewords per block, then blocks and data
// codewords per block of the two groups.
var versions = [11]struct{ ec, b1, d1, b2, d2 int }{
	1: {7, 1, 19, 0, 0}, 2: {10, 1, 34, 0, 0}, 3: {15, 1, 55, 0, 0}, 4: {20, 1, 80, 0, 0},
	5: {26, 1, 108, 0, 0}, 6: {18, 2, 68, 0, 0}, 7: {20, 2, 78, 0, 0}, 8: {24, 2, 97, 0, 0},
	9: {30, 2, 116, 0, 0}, 10: {18, 2, 68, 2, 69},
}

// alignment lists the alignment pattern centres of versions 2 to 10.
var alignment = [11][]int{
	2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50},
}

// Encode returns the QR symbol of text (alphanumeric characters only) at
// level L in the smallest version that holds it.
func Encode(text string) (*Code, error) {
	bits := 4 + 11*(len(text)/2) + 6*(len(text)%2)
	v := 0
	for i := 1; i <= 10; i++ {
		count := 9
		if i == 10 {
			count = 11
		}
		if 8*dataBytes(i) >= bits+count {
			v = i
			break
		}
	}
	if v == 0 || strings.Trim(text, alphabet) != "" {
		return nil, ErrUnsupported
	}
	data := encodeData(text, v)
	return render(v, interleave(v, data)), nil
}

func dataBytes(v int) int {
	vi := versions[v]
	return vi.b1*vi.d1 + vi.b2*vi.d2
}

// bitWriter appends bits most significant first.
type bitWriter struct {
	buf []byte
	n   int
}

func (w *bitWriter) add(v, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>i&1 == 1 {
			w.buf[w.n/8] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
}

// encodeData returns the data codewords: mode, count, character pairs,
// terminator and padding.
func encodeData(text string, v int) []byte {
	total := dataBytes(v)
	w := bitWriter{buf: make([]byte, 0, total)}
	w.add(0b0010, 4)
	count := 9
	if v >= 10 {
		count = 11
	}
	w.add(len(text), count)
	for i := 0; i+1 < len(text); i += 2 {
		w.add(45*strings.IndexByte(alphabet, text[i])+strings.IndexByte(alphabet, text[i+1]), 11)
	}
	if len(text)%2 == 1 {
		w.add(strings.IndexByte(alphabet, text[len(text)-1]), 6)
	}
	for i := 0; i < 4 && w.n < 8*total; i++ {
		w.add(0, 1)
	}
	for w.n%8 != 0 {
		w.add(0, 1)
	}
	for i := 0; len(w.buf) < total; i++ {
		w.buf = append(w.buf, []byte{236, 17}[i%2])
	}
	return w.buf
}

// GF(256) with the QR polynomial x⁸+x⁴+x³+x²+1.
var gfExp, gfLog = func() (exp [512]byte, log [256]byte) {
	x := 1
	for i := 0; i < 255; i++ {
		exp[i] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return
}()

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// generator returns the coefficients of ∏(x - αⁱ), i < n, highest first
// without the leading 1.
func generator(n int) []byte {
	g := []byte{1}
	for i := 0; i < n; i++ {
		next := make([]byte, len(g)+1)
		for j, c := range g {
			next[j] ^= c
			next[j+1] ^= gfMul(c, gfExp[i])
		}
		g = next
	}
	return g[1:]
}

// ecc returns the Reed-Solomon codewords of data.
func ecc(data []byte, n int) []byte {
	g := generator(n)
	rem := make([]byte, n)
	for _, d := range data {
		f := d ^ rem[0]
		copy(rem, rem[1:])
		rem[n-1] = 0
		for j := range rem {
			rem[j] ^= gfMul(g[j], f)
		}
	}
	return rem
}

// interleave splits data into blocks, adds their EC codewords and
// interleaves both.
func interleave(v int, data []byte) []byte {
	vi := versions[v]
	var blocks, eccs [][]byte
	for i := 0; i < vi.b1+vi.b2; i++ {
		n := vi.d1
		if i >= vi.b1 {
			n = vi.d2
		}
		blocks, data = append(blocks, data[:n]), data[n:]
		eccs = append(eccs, ecc(blocks[i], vi.ec))
	}
	var out []byte
	for i := 0; i < max(vi.d1, vi.d2); i++ {
		for _, b := range blocks {
			if i < len(b) {
				out = append(out, b[i])
			}
		}
	}
	for i := 0; i < vi.ec; i++ {
		for _, e := range eccs {
			out = append(out, e[i])
		}
	}
	return out
}

// formatBits returns the 15 format bits of level L with mask m, first bit
// in bit 14.
func formatBits(m int) int {
	data := 0b01<<3 | m // L
	rem := data << 10
	for i := 14; i >= 10; i-- {
		if rem>>i&1 == 1 {
			rem ^= 0x537 << (i - 10)
		}
	}
	return (data<<10 | rem) ^ 0x5412
}

// versionBits returns the 18 version bits of v (7 and up).
func versionBits(v int) int {
	rem := v << 12
	for i := 17; i >= 12; i-- {
		if rem>>i&1 == 1 {
			rem ^= 0x1F25 << (i - 12)
		}
	}
	return v<<12 | rem
}

func masked(m, x, y int) bool {
	switch m {
	case 0:
		return (y+x)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (y+x)%3 == 0
	case 4:
		return (y/2+x/3)%2 == 0
	case 5:
		return (y*x)%2+(y*x)%3 == 0
	case 6:
		return ((y*x)%2+(y*x)%3)%2 == 0
	default:
		return ((y+x)%2+(y*x)%3)%2 == 0
	}
}

func render(v int, codewords []byte) *Code {
	dim := 4*v + 17
	base := make([]byte, dim*dim)
	used := make([]bool, dim*dim)
	set := func(x, y int, dark bool) {
		used[x*dim+y] = true
		base[x*dim+y] = 0
		if dark {
			base[x*dim+y] = 1
		}
	}
	for _, off := range [][2]int{{0, 0}, {0, dim - 7}, {dim - 7, 0}} {
		for x := -1; x < 8; x++ {
			for y := -1; y < 8; y++ {
				px, py := x+off[0], y+off[1]
				if px < 0 || px >= dim || py < 0 || py >= dim {
					continue
				}
				in := x >= 0 && x <= 6 && y >= 0 && y <= 6
				set(px, py, in && (x == 0 || x == 6 || y == 0 || y == 6 || (x > 1 && x < 5 && y > 1 && y < 5)))
			}
		}
	}
	for _, cx := range alignment[v] {
		for _, cy := range alignment[v] {
			if used[cx*dim+cy] {
				continue
			}
			for x := -2; x <= 2; x++ {
				for y := -2; y <= 2; y++ {
					set(cx+x, cy+y, x == -2 || x == 2 || y == -2 || y == 2 || (x == 0 && y == 0))
				}
			}
		}
	}
	for i := 0; i < dim; i++ {
		if !used[i*dim+6] {
			set(i, 6, i%2 == 0)
		}
		if !used[6*dim+i] {
			set(6, i, i%2 == 0)
		}
	}
	set(8, dim-8, true)
	if v >= 7 {
		bits := versionBits(v)
		for i := 0; i < 18; i++ {
			x, y := dim-11+i%3, i/3
			dark := bits>>i&1 == 1
			set(x, y, dark)
			set(y, x, dark)
		}
	}
	format := formatPositions(dim)
	for _, p := range format {
		used[p[0]*dim+p[1]] = true
	}

	// Data modules, in placement order.
	var order []int
	for x, y, up := dim-1, dim-1, true; x >= 0; {
		for _, px := range []int{x, x - 1} {
			if !used[px*dim+y] {
				order = append(order, px*dim+y)
			}
		}
		if up {
			if y--; y < 0 {
				y, up = 0, false
				if x -= 2; x == 6 {
					x--
				}
			}
		} else {
			if y++; y >= dim {
				y, up = dim-1, true
				if x -= 2; x == 6 {
					x--
				}
			}
		}
	}

	best, bestPenalty := (*Code)(nil), uint(math.MaxUint)
	for m := 0; m < 8; m++ {
		mods := make([]byte, len(base))
		copy(mods, base)
		for i, at := range order {
			bit := i < 8*len(codewords) && codewords[i/8]>>(7-i%8)&1 == 1
			if bit != masked(m, at/dim, at%dim) {
				mods[at] = 1
			}
		}
		fb := formatBits(m)
		for i, p := range format {
			mods[p[0]*dim+p[1]] = byte(fb >> (14 - i%15) & 1)
		}
		c := &Code{size: dim, modules: mods}
		if p := c.penalty(); p < bestPenalty {
			best, bestPenalty = c, p
		}
	}
	return best
}

// formatPositions lists the modules of the format bits, first bit first,
// for both copies.
func formatPositions(dim int) [30][2]int {
	return [30][2]int{
		{0, 8}, {1, 8}, {2, 8}, {3, 8}, {4, 8}, {5, 8}, {7, 8}, {8, 8}, {8, 7}, {8, 5}, {8, 4}, {8, 3}, {8, 2}, {8, 1}, {8, 0},
		{8, dim - 1}, {8, dim - 2}, {8, dim - 3}, {8, dim - 4}, {8, dim - 5}, {8, dim - 6}, {8, dim - 7},
		{dim - 8, 8}, {dim - 7, 8}, {dim - 6, 8}, {dim - 5, 8}, {dim - 4, 8}, {dim - 3, 8}, {dim - 2, 8}, {dim - 1, 8},
	}
}

// penalty is the mask evaluation of ISO/IEC 18004 7.8.3 (N1 = 3, N2 = 3,
// N3 = 40, N4 = 10), computed as boombuler/barcode computes it.
func (c *Code) penalty() uint {
	dim, m := c.size, c.modules
	var p uint
	// Rule 1: runs of five or more in a row or column.
	for x := 0; x < dim; x++ {
		var runX, runY uint
		var lastX, lastY byte = 2, 2
		for y := 0; y < dim; y++ {
			if v := m[x*dim+y]; v == lastX {
				runX++
			} else {
				if runX >= 5 {
					p += runX - 2
				}
				lastX, runX = v, 1
			}
			if v := m[y*dim+x]; v == lastY {
				runY++
			} else {
				if runY >= 5 {
					p += runY - 2
				}
				lastY, runY = v, 1
			}
		}
		if runX >= 5 {
			p += runX - 2
		}
		if runY >= 5 {
			p += runY - 2
		}
	}
	// Rule 2: 2×2 blocks of one colour.
	for x := 0; x < dim-1; x++ {
		for y := 0; y < dim-1; y++ {
			v := m[x*dim+y]
			if m[x*dim+y+1] == v && m[(x+1)*dim+y] == v && m[(x+1)*dim+y+1] == v {
				p += 3
			}
		}
	}
	// Rule 3: 1011101 with four light modules before or after.
	// Every window of eleven modules along each line, rolled one module
	// at a time.
	const pat1, pat2, window = 0b10111010000, 0b00001011101, 1<<11 - 1
	for y := 0; y < dim; y++ {
		var h, w int
		for x := 0; x < dim; x++ {
			h = (h<<1 | int(m[x*dim+y])) & window
			w = (w<<1 | int(m[y*dim+x])) & window
			if x < 10 {
				continue
			}
			if h == pat1 || h == pat2 {
				p += 40
			}
			if w == pat1 || w == pat2 {
				p += 40
			}
		}
	}
	// Rule 4: the share of dark modules away from half.
	dark := 0
	for _, v := range m {
		dark += int(v)
	}
	perc := float64(dark) * 100 / float64(len(m))
	p += uint(math.Min(math.Abs(math.Floor(perc/5)-10), math.Abs(math.Ceil(perc/5)-10)) * 10)
	return p
}
