package hub

import (
	"testing"
	"time"
)

func TestHopChecksLookAfterAFailureOrARetryAndOtherwiseOnceAnInterval(t *testing.T) {
	var c hopChecks
	start := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		what    string
		hop     string
		retried bool
		failed  bool // a failure to hop is seen before the success
		after   time.Duration
		want    bool
	}{
		{what: "the first success to a hop", hop: "huyen", want: true},
		{what: "a success right after", hop: "huyen", after: 10 * time.Millisecond, want: false},
		{what: "the first success to another hop", hop: "xa", after: 20 * time.Millisecond, want: true},
		{what: "a success after a failure to the hop", hop: "huyen", failed: true, after: 30 * time.Millisecond, want: true},
		{what: "the success after that", hop: "huyen", after: 40 * time.Millisecond, want: false},
		{what: "a retried delivery's success", hop: "huyen", retried: true, after: 50 * time.Millisecond, want: true},
		{what: "a success an interval later", hop: "huyen", after: 50*time.Millisecond + hopCheckInterval, want: true},
	}
	for _, s := range steps {
		if s.failed {
			c.failed(s.hop)
		}
		if got := c.due(s.hop, s.retried, start.Add(s.after)); got != s.want {
			t.Errorf("%s: due = %v, want %v", s.what, got, s.want)
		}
	}
}
