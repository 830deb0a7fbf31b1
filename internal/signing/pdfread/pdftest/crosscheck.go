package pdftest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"edms/internal/signing/pdfread"
	"edms/internal/testenv"
)

// RevisionEnds lists where each revision of data ends: after every %%EOF and
// the end-of-line that follows it.
func RevisionEnds(data []byte) []int64 {
	var ends []int64
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("%%EOF"))
		if j < 0 {
			return ends
		}
		i += j + len("%%EOF")
		switch {
		case bytes.HasPrefix(data[i:], []byte("\r\n")):
			i += 2
		case bytes.HasPrefix(data[i:], []byte("\n")), bytes.HasPrefix(data[i:], []byte("\r")):
			i++
		}
		ends = append(ends, int64(i))
	}
}

// CrossCheck fails t unless, for every revision of data, pdfread resolves every
// object qpdf lists (and the trailer) to the same value and raw stream data, lists
// no object qpdf does not, and repairs exactly when qpdf reconstructs the
// cross-reference table.
func CrossCheck(t testing.TB, data []byte) {
	t.Helper()
	qpdf := testenv.LookTool(t, "qpdf")
	for i, end := range RevisionEnds(data) {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("revision%d.pdf", i+1))
		if err := os.WriteFile(path, data[:end], 0o644); err != nil {
			t.Fatal(err)
		}
		want, reconstructed := qpdfObjects(t, qpdf, path)
		rd, err := pdfread.Open(bytes.NewReader(data[:end]), end)
		if err != nil {
			t.Errorf("revision %d: pdfread: %v", i+1, err)
			continue
		}
		if rd.Repaired() != reconstructed {
			t.Errorf("revision %d: pdfread repaired=%v, qpdf reconstructed=%v (%v)", i+1, rd.Repaired(), reconstructed, rd.Warnings())
		}
		compareObjects(t, i+1, rd, want)
	}
}

func compareObjects(t testing.TB, rev int, rd *pdfread.Reader, want map[string]any) {
	t.Helper()
	for key, q := range want {
		var got any
		if key == "trailer" {
			if rd.Repaired() {
				continue // qpdf takes the first trailer of a damaged file, pdfread (like poppler) the last
			}
			got = map[string]any{"value": toJSON(rd, rd.Trailer())}
		} else {
			var num uint32
			var gen uint16
			fmt.Sscanf(key, "obj:%d %d R", &num, &gen)
			got = objectJSON(rd, rd.Resolve(pdfread.Ref{Num: num, Gen: gen}))
		}
		if !reflect.DeepEqual(normalize(q), got) {
			t.Errorf("revision %d, %s:\n qpdf:    %v\n pdfread: %v", rev, key, normalize(q), got)
		}
	}
	for _, num := range rd.Numbers() {
		e, _ := rd.Entry(num)
		key := fmt.Sprintf("obj:%d %d R", num, e.Gen)
		if _, ok := want[key]; !ok && rd.Object(num) != nil {
			t.Errorf("revision %d: pdfread resolves %s, which qpdf does not list", rev, key)
		}
	}
}

// qpdfObjects runs qpdf --json on path and returns its objects and whether it
// reconstructed the cross-reference table.
func qpdfObjects(t testing.TB, qpdf, path string) (map[string]any, bool) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(qpdf, "--json=2", "--json-key=qpdf", "--json-stream-data=inline", "--decode-level=none", path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil && stdout.Len() == 0 {
		t.Fatalf("qpdf --json %s: %v\n%s", path, err, stderr.String())
	}
	var doc struct {
		Qpdf []map[string]any `json:"qpdf"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || len(doc.Qpdf) != 2 {
		t.Fatalf("qpdf --json %s: unexpected output (%v)", path, err)
	}
	return doc.Qpdf[1], strings.Contains(stderr.String(), "reconstruct")
}

// objectJSON is an indirect object in qpdf's JSON v2 shape.
func objectJSON(rd *pdfread.Reader, o pdfread.Object) any {
	st, ok := o.(*pdfread.Stream)
	switch {
	case o == nil:
		return map[string]any{} // how qpdf lists a referenced object that is free or missing
	case !ok:
		return map[string]any{"value": toJSON(rd, o)}
	}
	raw, err := rd.RawData(st)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	dict := toJSON(rd, st.Dict).(map[string]any)
	delete(dict, "/Length") // qpdf leaves out the length, which its data shows
	return map[string]any{"stream": map[string]any{"dict": dict, "data": base64.StdEncoding.EncodeToString(raw)}}
}

func toJSON(rd *pdfread.Reader, o pdfread.Object) any {
	switch v := o.(type) {
	case nil:
		return nil
	case bool:
		return v
	case int64:
		return float64(v)
	case float64:
		return v
	case pdfread.Name:
		return "/" + string(v)
	case pdfread.String:
		return stringJSON(string(v))
	case pdfread.Ref:
		if e, ok := rd.Entry(v.Num); !ok || e.Type == pdfread.Free || rd.Resolve(v) == nil {
			return nil // qpdf writes a reference to a missing object as null
		}
		return v.String()
	case pdfread.Array:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = toJSON(rd, x)
		}
		return out
	case pdfread.Dict:
		out := map[string]any{}
		for k, x := range v {
			if j := toJSON(rd, x); j != nil {
				out["/"+string(k)] = j
			}
		}
		return out
	}
	return fmt.Sprintf("unexpected %T", o)
}

// stringJSON writes a string as qpdf does: "u:" and the text for UTF-16 with a
// byte order mark, or for a string qpdf does not consider binary (no control
// characters, at most a fifth of the bytes above 126) read as PDFDocEncoding;
// else "b:" and hexadecimal.
func stringJSON(s string) string {
	if strings.HasPrefix(s, "\xfe\xff") && len(s)%2 == 0 {
		u := make([]uint16, 0, len(s)/2-1)
		for i := 2; i < len(s); i += 2 {
			u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
		}
		return "u:" + string(utf16.Decode(u))
	}
	high := 0
	var text strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 && !strings.ContainsRune("\n\r\t\b\f", rune(c)):
			return "b:" + hex.EncodeToString([]byte(s))
		case c > 126:
			high++
			text.WriteRune(pdfDocRune(c))
		default:
			text.WriteByte(c)
		}
	}
	if 5*high > len(s) {
		return "b:" + hex.EncodeToString([]byte(s))
	}
	return "u:" + text.String()
}

// pdfDocHigh is PDFDocEncoding from 0x80 to 0xA0; above, it is Latin-1.
var pdfDocHigh = []rune("\u2022\u2020\u2021\u2026\u2014\u2013\u0192\u2044\u2039\u203a\u2212\u2030\u201e\u201c\u201d\u2018\u2019\u201a\u2122\ufb01\ufb02\u0141\u0152\u0160\u0178\u017d\u0131\u0142\u0153\u0161\u017e\ufffd\u20ac")

func pdfDocRune(c byte) rune {
	if c >= 0x80 && c <= 0xa0 {
		return pdfDocHigh[c-0x80]
	}
	return rune(c)
}

// normalize drops null dictionary values, which mean the key is absent.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e != nil {
				out[k] = normalize(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}
