package networktest

import (
	"bufio"
	"net"
	"slices"
	"testing"
)

// echoNamed listens on loopback and answers each connection's line with its name.
func echoNamed(t *testing.T, name string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if _, err := bufio.NewReader(conn).ReadString('\n'); err == nil {
					conn.Write([]byte(name + "\n"))
				}
			}()
		}
	}()
	return ln
}

// ask opens a connection through the balancer and returns who answered.
func ask(t *testing.T, addr string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("who?\n")); err != nil {
		t.Fatal(err)
	}
	answer, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return answer[:len(answer)-1]
}

// TestBalancerTakesTurnsAndPassesOverADeadBackend: connections alternate between
// two backends; once one stops listening, every connection reaches the other.
func TestBalancerTakesTurnsAndPassesOverADeadBackend(t *testing.T) {
	one, two := echoNamed(t, "one"), echoNamed(t, "two")
	b, err := Balance("127.0.0.1:0", []string{one.Addr().String(), two.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	front := b.listener.Addr().String()
	var answers []string
	for range 4 {
		answers = append(answers, ask(t, front))
	}
	slices.Sort(answers)
	if !slices.Equal(answers, []string{"one", "one", "two", "two"}) {
		t.Fatalf("answers %v, want two of each", answers)
	}
	two.Close()
	for range 3 {
		if who := ask(t, front); who != "one" {
			t.Fatalf("%s answered after it stopped", who)
		}
	}
	if served := b.Served(); served[0] != 5 || served[1] != 2 {
		t.Fatalf("served %v, want [5 2]", served)
	}
}
