package axis

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
)

// getEdoc answers as other servers write them: data before status, "/" escaped
// as Java's JSON writes it, base64 wrapped at 76 with \r\n, numbers, nulls,
// nested values, \u escapes.
func TestReadEdocReply(t *testing.T) {
	pkg := bytes.Repeat([]byte("<edXML>gói tin ?>?>?>\xff\xfe</edXML>"), 200)
	encoded := base64.StdEncoding.EncodeToString(pkg)
	var wrapped strings.Builder
	for i := 0; i < len(encoded); i += 76 {
		wrapped.WriteString(encoded[i:min(i+76, len(encoded))] + `\r\n`)
	}
	escaped := strings.ReplaceAll(wrapped.String(), "/", `\/`)
	if !strings.Contains(escaped, `\/`) {
		t.Fatal("the sample has no / to escape")
	}
	cases := []struct {
		name, answer string
		found        bool
		code, desc   string
	}{
		{"data first", `{"data":"` + escaped + `","status":"OK","ErrorCode":0,"ErrorDesc":"Th\u00e0nh c\u00f4ng"}`, true, "0", "Thành công"},
		{"data last", ` { "status" : "OK", "extra": {"a": [1, "}\"]"], "b": null}, "ErrorCode":"0", "ErrorDesc": null, "data" : "` + encoded + `" } `, true, "0", ""},
		{"fail", `{"status":"FAIL","ErrorCode":"404","ErrorDesc":"Không có văn bản","DocId":null}`, false, "404", "Không có văn bản"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			rep, found, err := readEdocReply(strings.NewReader(c.answer), &out)
			if err != nil || found != c.found || string(rep.ErrorCode) != c.code || string(rep.ErrorDesc) != c.desc {
				t.Fatalf("readEdocReply = %+v, %v, %v", rep, found, err)
			}
			if c.found && !bytes.Equal(out.Bytes(), pkg) {
				t.Errorf("the package came out different (%d bytes, want %d)", out.Len(), len(pkg))
			}
		})
	}
	for _, broken := range []string{``, `[]`, `{"data":"` + encoded, `{"status":"OK",`, `{"data":"@@@@"}`, `{"status" "OK"}`} {
		if _, _, err := readEdocReply(strings.NewReader(broken), &bytes.Buffer{}); err == nil {
			t.Errorf("%.40q read without error", broken)
		}
	}
}

// Reads of any size, down to one byte, come to the same text.
func TestStringReaderSmallReads(t *testing.T) {
	in := `a\/b\u1ec7c\r\n\"d"rest`
	for size := 1; size <= 8; size++ {
		sr := &stringReader{br: bufio.NewReader(strings.NewReader(in))}
		var got []byte
		buf := make([]byte, size)
		for {
			n, err := sr.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil || len(got) > len(in) {
				t.Fatalf("size %d: %q, %v", size, got, err)
			}
		}
		if string(got) != "a/bệc\r\n\"d" {
			t.Errorf("size %d: read %q", size, got)
		}
	}
}
