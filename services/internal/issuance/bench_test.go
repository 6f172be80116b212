package issuance

import "testing"

// BenchmarkSign renders and signs one business licence (font subset
// embedded, QR code, two SM2 signatures): the CPU cost per issued document.
func BenchmarkSign(b *testing.B) {
	r := testRenderer(b)
	s := newSigner(b)
	d := testLicence()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Sign(d, s); err != nil {
			b.Fatal(err)
		}
	}
}
