package messages_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/messages"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// BenchmarkStream_SendToDelivery measures a message from Store.Send (its own
// committed transaction) to its emission on an open stream of the recipient,
// through LISTEN/NOTIFY and the stream's read: ns/op is the throughput of
// sends one after another, p50/p99 the latency of each.
func BenchmarkStream_SendToDelivery(b *testing.B) {
	pool := pgtest.New(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := messages.NewStore(pool)
	hub := messages.NewHub(pool, nil)
	go hub.Run(ctx)
	<-hub.Ready()
	to := messages.Address{Kind: messages.KindMember, ID: "BankMSP"}
	got := make(chan time.Time, 1024)
	go store.Stream(ctx, hub, to, 0, 0, func(messages.Message) error { got <- time.Now(); return nil }, nil)
	for hub.Connected(to) == 0 {
		time.Sleep(time.Millisecond)
	}
	lat := make([]time.Duration, 0, b.N)
	m := messages.Message{From: messages.System, To: to, Topic: "bench", Title: "t", Body: "b"}
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := store.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
