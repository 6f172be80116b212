package keys

import (
	"context"
	"crypto/rand"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// Benchmarks of the key service's costs: go test -run '^$' -bench . ./internal/keys

// BenchmarkDerive is one PBKDF2-HMAC-SM3 derivation at DefaultKDF, the cost
// every password check pays (docs/keys.md).
func BenchmarkDerive(b *testing.B) {
	salt, _ := gm.NewSalt()
	start := cpuTime()
	for b.Loop() {
		key, err := DefaultKDF.derive("locker password", salt)
		if err != nil {
			b.Fatal(err)
		}
		clear(key)
	}
	reportCPU(b, start)
}

// reportCPU adds the process CPU time per operation since start, which
// unlike wall time does not grow when other work shares the cores.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOpenEnvelope is an unlock without the database: derivation,
// SM4-GCM open, parsing and checking the SM2 key.
func BenchmarkOpenEnvelope(b *testing.B) {
	mat, _ := newKeyMaterial()
	plain, _ := mat.marshal()
	aad := custodyAAD(testSubject, "k", 1)
	env, err := sealEnvelope(DefaultKDF, "locker password", plain, aad)
	if err != nil {
		b.Fatal(err)
	}
	start := cpuTime()
	for b.Loop() {
		p, err := env.open("locker password", aad)
		if err != nil {
			b.Fatal(err)
		}
		m, err := parseKeyMaterial(p)
		if err != nil {
			b.Fatal(err)
		}
		m.destroy()
		clear(p)
	}
	reportCPU(b, start)
}

// BenchmarkServiceUnlock is Service.Unlock at DefaultKDF on PostgreSQL:
// key read, lockout admission and reset, and BenchmarkOpenEnvelope.
func BenchmarkServiceUnlock(b *testing.B) {
	svc, err := New(pgtest.New(b), Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.Generate(ctx, testSubject, "locker password"); err != nil {
		b.Fatal(err)
	}
	start := cpuTime()
	for b.Loop() {
		sk, err := svc.Unlock(ctx, testSubject, "locker password")
		if err != nil {
			b.Fatal(err)
		}
		sk.Destroy()
	}
	reportCPU(b, start)
}

// BenchmarkSignerSign signs a 1 KiB message through the Signer interface.
func BenchmarkSignerSign(b *testing.B) {
	var s Signer = newSoftKey(b, testSubject)
	msg := make([]byte, 1024)
	start := cpuTime()
	for b.Loop() {
		if _, err := s.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkVerify checks a signature of a 1 KiB message.
func BenchmarkVerify(b *testing.B) {
	sk := newSoftKey(b, testSubject)
	msg := make([]byte, 1024)
	sig, _ := sk.Sign(msg)
	start := cpuTime()
	for b.Loop() {
		if !gm.Verify(sk.Public(), msg, sig) {
			b.Fatal("does not verify")
		}
	}
	reportCPU(b, start)
}

// BenchmarkWrapUnwrapSM2 wraps a data key for a public key and unwraps it.
func BenchmarkWrapUnwrapSM2(b *testing.B) {
	sk := newSoftKey(b, testSubject)
	dataKey, _ := gm.NewDataKey()
	start := cpuTime()
	for b.Loop() {
		w, err := WrapForPublicKey(testSubject.ID, sk.Public(), dataKey)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := decodeWrapped(testSubject, w)
		if _, err := unwrapWith(sk, raw); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkShamir splits and combines the custody secret of one and of
// five key versions (~157 bytes each) 3-of-5.
func BenchmarkShamir(b *testing.B) {
	for _, keys := range []int{1, 5} {
		secret := make([]byte, 157*keys)
		rand.Read(secret)
		b.Run(fmt.Sprintf("Split/keys=%d", keys), func(b *testing.B) {
			b.SetBytes(int64(len(secret)))
			start := cpuTime()
			for b.Loop() {
				if _, err := Split(secret, 3, 5); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
		shares, _ := Split(secret, 3, 5)
		b.Run(fmt.Sprintf("Combine/keys=%d", keys), func(b *testing.B) {
			b.SetBytes(int64(len(secret)))
			start := cpuTime()
			for b.Loop() {
				if _, err := Combine(shares[2:]); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}
