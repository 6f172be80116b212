package qrcode

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

// TestEncode_SameAsBoombuler: for texts of every length that versions 1 to
// 10 hold, the symbol is module for module the one boombuler/barcode makes
// (the encoder the documents used before), so the same version, data, error
// correction, mask choice, format and version information.
func TestEncode_SameAsBoombuler(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 395; n++ {
		for range 3 {
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			text := string(b)
			if n > 300 && rng.IntN(2) == 0 {
				text = "KBV2:" + text[5:]
			}
			got, err := Encode(text)
			if err != nil {
				t.Fatalf("%d characters: %v", n, err)
			}
			want, err := qr.Encode(text, qr.L, qr.AlphaNumeric)
			if err != nil {
				t.Fatal(err)
			}
			if got.Size() != want.Bounds().Dx() {
				t.Fatalf("%d characters: %d modules, boombuler %d", n, got.Size(), want.Bounds().Dx())
			}
			for x := 0; x < got.Size(); x++ {
				for y := 0; y < got.Size(); y++ {
					r, _, _, _ := want.At(x, y).RGBA()
					if got.Dark(x, y) != (r == 0) {
						t.Fatalf("%d characters (%q): module %d,%d differs", n, text, x, y)
					}
				}
			}
		}
	}
}

func TestEncode_Unsupported(t *testing.T) {
	for _, text := range []string{"kbv2:lower", "KBV2:" + strings.Repeat("A", 391), "é"} {
		if _, err := Encode(text); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%.20q: err = %v, want ErrUnsupported", text, err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	text := "KBV2:" + strings.Repeat("7VQ2MAXZ", 28)
	b.Run("qrcode", func(b *testing.B) {
		for b.Loop() {
			if _, err := Encode(text); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("boombuler", func(b *testing.B) {
		for b.Loop() {
			if _, err := qr.Encode(text, qr.L, qr.AlphaNumeric); err != nil {
				b.Fatal(err)
			}
		}
	})
}
