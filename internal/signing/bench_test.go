package signing

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"edms/internal/signing/pki"
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

// processCPU is the CPU time (user and system, every thread, GC included) the
// test process used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ms/op, the process CPU time per operation since start: on
// the shared 2-core machine the wall time mostly measures the other processes.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N)/1e6, "cpu-ms/op")
}

func BenchmarkSignPerson(b *testing.B) {
	p := demoPKI(b)
	s := &Signer{Identity: identityOf(b, p.person)}
	block := PersonSignature{PersonBlock: PersonBlock{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock}
	for _, size := range benchSizes {
		in := benchInput(b, size)
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			defer reportCPU(b, processCPU(b))
			for b.Loop() {
				if err := s.SignPerson(bytesDoc(in), io.Discard, block); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTwoPhase is SignPerson's work split in two: PreparePerson then
// Complete with the value the device returns; "complete" alone is what the
// second request costs.
func BenchmarkTwoPhase(b *testing.B) {
	p := demoPKI(b)
	d := device{key: p.person.Key, cert: p.person.Cert, chain: p.person.Chain}
	s := &Signer{}
	block := PersonSignature{PersonBlock: PersonBlock{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock}
	for _, size := range benchSizes {
		in := benchInput(b, size)
		b.Run(fmt.Sprintf("%dMB/prepare+complete", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			defer reportCPU(b, processCPU(b))
			for b.Loop() {
				prepared, err := s.PreparePerson(bytesDoc(in), block, d.cert, d.chain)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Complete(prepared, d.sign(b, prepared), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%dMB/complete", size>>20), func(b *testing.B) {
			prepared, err := s.PreparePerson(bytesDoc(in), block, d.cert, d.chain)
			if err != nil {
				b.Fatal(err)
			}
			value := d.sign(b, prepared)
			b.SetBytes(int64(len(in)))
			defer reportCPU(b, processCPU(b))
			for b.Loop() {
				if err := s.Complete(prepared, value, io.Discard); err != nil {
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

// BenchmarkVerifyLTV verifies offline a 10 MB file with two PAdES B-LT
// signatures (person, then agency seal, each followed by its /DSS update). With
// EDMS_RENDER_DIR set it leaves the file and its trust folder there for the
// whole-process comparison with pdfsig in BENCHMARKS.md.
func BenchmarkVerifyLTV(b *testing.B) {
	rp := newRevocationPKI(b, true, true)
	agency, err := rp.root.IssueAgency(pki.Options{Subject: pki.Subject{CommonName: "UBND xã Yên Ninh"}, OCSPServer: []string{rp.ocspSrv.URL}})
	if err != nil {
		b.Fatal(err)
	}
	fetch := NewRevocationChecker(RevocationAuto)
	var leader, sealed bytes.Buffer
	person := &Signer{Identity: identityOf(b, rp.person), Revocation: fetch}
	if err := person.SignPerson(bytesDoc(benchInput(b, 10<<20)), &leader, PersonSignature{PersonBlock: PersonBlock{FullName: "Trần Thị Thu"}, Page: 1, Rect: leaderBlock}); err != nil {
		b.Fatal(err)
	}
	clerk := &Signer{Identity: identityOf(b, agency), Revocation: fetch}
	if err := clerk.ApplySeal(bytesDoc(leader.Bytes()), &sealed, Seal{AgencyName: "UBND xã Yên Ninh", Page: 1}); err != nil {
		b.Fatal(err)
	}
	rp.ocspSrv.Close()
	if dir := os.Getenv("EDMS_RENDER_DIR"); dir != "" {
		writeLTVBenchFiles(b, dir, rp.root.Cert, sealed.Bytes())
	}
	trust := NewTrustStore(rp.root.Cert)
	trust.Revocation = NewRevocationChecker(RevocationEmbedded)
	b.SetBytes(int64(sealed.Len()))
	for b.Loop() {
		rep, err := Verify(bytesDoc(sealed.Bytes()), trust)
		if err != nil || !rep.Valid() || len(rep.Signatures) != 2 {
			b.Fatalf("%v %+v", err, rep)
		}
	}
}

func writeLTVBenchFiles(b *testing.B, dir string, root *x509.Certificate, signed []byte) {
	if err := os.MkdirAll(filepath.Join(dir, "trust-ltv"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := pki.WriteCertPEM(filepath.Join(dir, "trust-ltv", "root.pem"), root); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sealed-ltv-10mb.pdf"), signed, 0o644); err != nil {
		b.Fatal(err)
	}
}
