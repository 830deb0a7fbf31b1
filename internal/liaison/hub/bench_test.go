package hub

import (
	"sync"
	"testing"
)

// BenchmarkRelay relays signed packages (a 50 KB attachment) from one member node
// to another through the hub, eight senders at once, until every one is delivered:
//
//	go test -p 1 -run '^$' -bench BenchmarkRelay -benchtime 500x ./internal/liaison/hub/
func BenchmarkRelay(b *testing.B) {
	s := newStar(b)
	s.net.pdfSize = 50 << 10
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = s.net.signedPackage(b, communeA, communeB)
	}
	b.SetBytes(int64(len(bodies[0])))
	b.ResetTimer()
	var wg sync.WaitGroup
	next := make(chan []byte)
	for range 8 {
		wg.Go(func() {
			for body := range next {
				if _, err := send(b, s.fromA, body, ""); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, body := range bodies {
		next <- body
	}
	close(next)
	wg.Wait()
	s.hub.waitDeliveries(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packages/s")
}
