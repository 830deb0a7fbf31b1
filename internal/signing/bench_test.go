package signing

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
)

// Benchmarks for BENCHMARKS.md: signing and verifying 1 MB and 10 MB PDFs against
// hashing the same bytes with SHA-256.
var benchSizes = []int{1 << 20, 10 << 20}

func benchInput(b *testing.B, size int) []byte {
	b.Helper()
	return makePDF(b, 1, size)
}

func BenchmarkSHA256(b *testing.B) {
	for _, size := range benchSizes {
		in := benchInput(b, size)
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				h := sha256.New()
				h.Write(in)
				h.Sum(nil)
			}
		})
	}
}

func BenchmarkSignPerson(b *testing.B) {
	p := demoPKI(b)
	s := &Signer{Identity: identityOf(b, p.person)}
	block := PersonSignature{PersonBlock: PersonBlock{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock}
	for _, size := range benchSizes {
		in := benchInput(b, size)
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := s.SignPerson(bytesDoc(in), io.Discard, block); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	p := demoPKI(b)
	trust := NewTrustStore(p.root.Cert)
	for _, size := range benchSizes {
		signed := applySeal(b, p, addIssueStamp(b, signPerson(b, p, benchInput(b, size))))
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				rep, err := Verify(NewDocument(bytes.NewReader(signed), int64(len(signed))), trust)
				if err != nil || !rep.Valid() {
					b.Fatalf("%v %+v", err, rep)
				}
			}
		})
	}
}
