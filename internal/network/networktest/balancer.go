package networktest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Balancer is a loopback TCP load balancer: it hands each connection to the next
// backend in turn, passing over one that refuses (a killed instance), and copies
// the bytes both ways, so TLS passes through to the instance.
type Balancer struct {
	listener net.Listener
	backends []string
	next     atomic.Uint64
	served   []atomic.Int64 // connections handed to each backend

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Balance starts a balancer listening on front over the backends.
func Balance(front string, backends []string) (*Balancer, error) {
	ln, err := net.Listen("tcp", front)
	if err != nil {
		return nil, fmt.Errorf("networktest: balancer: %w", err)
	}
	b := &Balancer{listener: ln, backends: backends, served: make([]atomic.Int64, len(backends)), conns: map[net.Conn]struct{}{}}
	b.wg.Go(b.accept)
	return b, nil
}

// Balancers is a network.Plan's Balance for the test: each balancer is closed when
// the test ends.
func Balancers(t testing.TB) func(front string, backends []string) error {
	return func(front string, backends []string) error {
		b, err := Balance(front, backends)
		if err == nil {
			t.Cleanup(b.Close)
		}
		return err
	}
}

// Served is how many connections each backend was handed.
func (b *Balancer) Served() []int64 {
	out := make([]int64, len(b.served))
	for i := range b.served {
		out[i] = b.served[i].Load()
	}
	return out
}

func (b *Balancer) accept() {
	for {
		client, err := b.listener.Accept()
		if err != nil {
			return // closed
		}
		if !b.track(client) {
			client.Close()
			return
		}
		b.wg.Go(func() {
			defer b.untrack(client)
			b.relay(client)
		})
	}
}

// relay connects the client to the next backend that answers and copies both ways
// until either side closes.
func (b *Balancer) relay(client net.Conn) {
	backend, err := b.dial()
	if err != nil {
		return
	}
	if !b.track(backend) {
		backend.Close()
		return
	}
	defer b.untrack(backend)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tcp, ok := dst.(*net.TCPConn); ok {
			tcp.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done
	<-done
}

// dial tries each backend once, starting with the next in turn.
func (b *Balancer) dial() (net.Conn, error) {
	start := b.next.Add(1)
	var errs []error
	for i := range uint64(len(b.backends)) {
		k := (start + i) % uint64(len(b.backends))
		conn, err := net.Dial("tcp", b.backends[k])
		if err == nil {
			b.served[k].Add(1)
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (b *Balancer) track(c net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.conns[c] = struct{}{}
	return true
}

func (b *Balancer) untrack(c net.Conn) {
	c.Close()
	b.mu.Lock()
	delete(b.conns, c)
	b.mu.Unlock()
}

// Close stops listening, cuts every connection and waits for the relays to end.
func (b *Balancer) Close() {
	b.listener.Close()
	b.mu.Lock()
	b.closed = true
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}
