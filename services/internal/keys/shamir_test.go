package keys

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"testing"
)

// slowMul is the textbook GF(2^8) product, branches and all, as a reference
// for the constant-time gfMul.
func slowMul(a, b byte) byte {
	var p byte
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

func TestGFMul_KnownAnswers(t *testing.T) {
	// FIPS 197 §4.2 and §4.2.1 worked examples in the AES field.
	for _, c := range []struct{ a, b, want byte }{
		{0x57, 0x83, 0xc1},
		{0x57, 0x13, 0xfe},
		{0x57, 0x02, 0xae},
		{0x57, 0x04, 0x47},
		{0x57, 0x08, 0x8e},
		{0x57, 0x10, 0x07},
		{0x00, 0xff, 0x00},
		{0x01, 0xa5, 0xa5},
	} {
		if got := gfMul(c.a, c.b); got != c.want {
			t.Errorf("%#02x·%#02x = %#02x, want %#02x", c.a, c.b, got, c.want)
		}
	}
}

func TestGFMul_AllPairsMatchReference(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			if got, want := gfMul(byte(a), byte(b)), slowMul(byte(a), byte(b)); got != want {
				t.Fatalf("%#02x·%#02x = %#02x, want %#02x", a, b, got, want)
			}
		}
	}
}

func TestGFInv_AllNonZero(t *testing.T) {
	for a := 1; a < 256; a++ {
		if p := gfMul(byte(a), gfInv(byte(a))); p != 1 {
			t.Fatalf("%#02x · inv = %#02x, want 1", a, p)
		}
	}
	if gfInv(0) != 0 {
		t.Fatal("inv(0) is not 0")
	}
}

// fixedReader yields the given bytes, so that a split's coefficients are
// known.
type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestSplit_KnownAnswer(t *testing.T) {
	// f(x) = 0x42 + 0x03·x + 0x05·x² for one byte, k = 3:
	// f(1) = 42^03^05 = 0x44; f(2) = 42^06^(05·04=14) = 0x50;
	// f(3) = 42^(03·03=05)^(05·05=11) = 0x56.
	shares, err := split(&fixedReader{b: []byte{0x03, 0x05}}, []byte{0x42}, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []Share{{1, []byte{0x44}}, {2, []byte{0x50}}, {3, []byte{0x56}}}
	for i := range want {
		if shares[i].X != want[i].X || !bytes.Equal(shares[i].Y, want[i].Y) {
			t.Errorf("share %d = %x:%x, want %x:%x", i, shares[i].X, shares[i].Y, want[i].X, want[i].Y)
		}
	}
	got, err := Combine(shares)
	if err != nil || !bytes.Equal(got, []byte{0x42}) {
		t.Fatalf("Combine = %x, %v", got, err)
	}
}

// subsets calls fn with every subset of shares of size k.
func subsets(shares []Share, k int, fn func([]Share)) {
	var rec func(start int, cur []Share)
	rec = func(start int, cur []Share) {
		if len(cur) == k {
			fn(append([]Share(nil), cur...))
			return
		}
		for i := start; i < len(shares); i++ {
			rec(i+1, append(cur, shares[i]))
		}
	}
	rec(0, nil)
}

func TestCombine_AnyKOfNRecover(t *testing.T) {
	secret := make([]byte, 157)
	rand.Read(secret)
	for _, c := range []struct{ k, n int }{{2, 2}, {2, 3}, {3, 5}, {4, 7}, {5, 5}} {
		t.Run(fmt.Sprintf("%d-of-%d", c.k, c.n), func(t *testing.T) {
			shares, err := Split(secret, c.k, c.n)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range shares {
				if s.X != byte(i+1) {
					t.Fatalf("share %d has index %d", i, s.X)
				}
			}
			for size := c.k; size <= c.n; size++ {
				subsets(shares, size, func(sub []Share) {
					got, err := Combine(sub)
					if err != nil || !bytes.Equal(got, secret) {
						t.Fatalf("%d shares %v: wrong secret, %v", size, indexes(sub), err)
					}
				})
			}
			subsets(shares, c.k-1, func(sub []Share) {
				if len(sub) < 2 {
					return // Combine refuses a single share
				}
				got, err := Combine(sub)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(got, secret) {
					t.Fatalf("k-1 shares %v recovered the secret", indexes(sub))
				}
			})
		})
	}
}

func TestCombine_LargeN(t *testing.T) {
	secret := []byte("the private key")
	shares, err := Split(secret, 200, MaxShares)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Combine(shares[55:])
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("200 of 255: %q, %v", got, err)
	}
}

func indexes(s []Share) []byte {
	out := make([]byte, len(s))
	for i := range s {
		out[i] = s[i].X
	}
	return out
}

func TestSplit_SharesIndependentPerSplit(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	a, _ := Split(secret, 2, 3)
	b, _ := Split(secret, 2, 3)
	for i := range a {
		if bytes.Equal(a[i].Y, b[i].Y) {
			t.Fatalf("share %d is the same in two splits", a[i].X)
		}
	}
	// Shares of two splits of the same secret do not combine to it.
	got, err := Combine([]Share{a[0], b[1]})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, secret) {
		t.Fatal("shares of two splits combined to the secret")
	}
}

// TestSplit_BelowThresholdIsUniform checks, statistically, that k-1 shares
// reveal nothing: the distribution of one share byte of a 2-of-n split is
// uniform whatever the secret, so shares of an all-zero and an all-0xff
// secret look alike.
func TestSplit_BelowThresholdIsUniform(t *testing.T) {
	const splits = 400 // × 64 bytes = 25,600 samples over 256 values
	for _, fill := range []byte{0x00, 0xff} {
		secret := bytes.Repeat([]byte{fill}, 64)
		var counts [256]int
		for range splits {
			shares, err := Split(secret, 2, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range shares[1].Y {
				counts[b]++
			}
		}
		expected := float64(splits*64) / 256
		var chi2 float64
		for _, c := range counts {
			d := float64(c) - expected
			chi2 += d * d / expected
		}
		// 255 degrees of freedom: mean 255, sd ~22.6; 400 is beyond 6 sd.
		if chi2 > 400 || math.IsNaN(chi2) {
			t.Errorf("secret %#02x…: chi² = %.1f, the share is not uniform", fill, chi2)
		}
	}
}

func TestSplit_BadInput(t *testing.T) {
	for name, c := range map[string]struct {
		secret []byte
		k, n   int
	}{
		"empty secret":  {nil, 2, 3},
		"threshold 1":   {[]byte{1}, 1, 3},
		"threshold 0":   {[]byte{1}, 0, 3},
		"fewer than k":  {[]byte{1}, 4, 3},
		"more than 255": {[]byte{1}, 2, 256},
		"negative":      {[]byte{1}, -2, -1},
	} {
		if _, err := Split(c.secret, c.k, c.n); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestCombine_BadInput(t *testing.T) {
	s, _ := Split([]byte("secret"), 2, 3)
	for name, c := range map[string]struct {
		shares []Share
		want   error
	}{
		"none":            {nil, ErrInvalid},
		"one":             {s[:1], ErrInvalid},
		"duplicate index": {[]Share{s[0], s[0]}, ErrDuplicateShare},
		"zero index":      {[]Share{{0, s[0].Y}, s[1]}, ErrZeroShareIndex},
		"lengths differ":  {[]Share{s[0], {2, s[1].Y[:3]}}, ErrInvalid},
		"empty values":    {[]Share{{1, nil}, {2, nil}}, ErrInvalid},
	} {
		if _, err := Combine(c.shares); !errors.Is(err, c.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestShare_BinaryRoundTrip(t *testing.T) {
	s := Share{X: 7, Y: []byte{1, 2, 3}}
	b, _ := s.MarshalBinary()
	var got Share
	if err := got.UnmarshalBinary(b); err != nil || got.X != 7 || !bytes.Equal(got.Y, s.Y) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {1}, {0, 1, 2}} {
		if err := new(Share).UnmarshalBinary(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%x: %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzCombine(f *testing.F) {
	f.Add([]byte{1, 10, 20, 2, 30, 40}, 2)
	f.Add([]byte{1, 1, 1, 1}, 2)
	f.Fuzz(func(t *testing.T, data []byte, width int) {
		if width < 2 || width > 64 {
			return
		}
		var shares []Share
		for len(data) >= width {
			shares = append(shares, Share{X: data[0], Y: data[1:width]})
			data = data[width:]
		}
		got, err := Combine(shares)
		if err == nil && len(got) != width-1 {
			t.Fatalf("secret of %d bytes from shares of %d", len(got), width-1)
		}
	})
}

func FuzzSplitCombine(f *testing.F) {
	f.Add([]byte("secret"), uint8(2), uint8(3))
	f.Fuzz(func(t *testing.T, secret []byte, k, n uint8) {
		shares, err := Split(secret, int(k), int(n))
		if err != nil {
			return
		}
		got, err := Combine(shares[len(shares)-int(k):])
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("k=%d n=%d: %x, %v", k, n, got, err)
		}
	})
}
