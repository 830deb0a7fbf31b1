package signing

import (
	"bytes"
	"strings"
	"testing"
)

func TestLongestZeroRun(t *testing.T) {
	block := 1 << 16
	cases := map[string]struct {
		data string
		want int
	}{
		"none":            {"abc", 0},
		"middle":          {"a000b00c", 3},
		"at end":          {"x" + strings.Repeat("0", 7), 7},
		"across blocks":   {strings.Repeat("x", block-5) + strings.Repeat("0", 12) + "y", 12},
		"whole block":     {strings.Repeat("0", block+3) + "z0", block + 3},
		"restart after x": {strings.Repeat("0", 4) + "x" + strings.Repeat("0", 6), 6},
	}
	for name, c := range cases {
		got, err := longestZeroRun(NewDocument(bytes.NewReader([]byte(c.data)), int64(len(c.data))))
		if err != nil || got != c.want {
			t.Errorf("%s: got %d, %v; want %d", name, got, err, c.want)
		}
	}
}
