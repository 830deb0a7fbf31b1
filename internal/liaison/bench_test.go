package liaison

import (
	"bytes"
	"encoding/base64"
	"testing"
)

const benchAttachmentSize = 20 << 20

// signedBenchPackage is a signed package with one 20 MB PDF attachment.
func signedBenchPackage(b *testing.B) ([]byte, []byte, testPKI) {
	pki := rsaPKI(b)
	pdf := testPDF(benchAttachmentSize)
	var unsigned bytes.Buffer
	files := []AttachmentSource{{AttachmentMeta{ContentID: "1", Name: "big.pdf", ContentType: "application/pdf"}, bytes.NewReader(pdf)}}
	if err := Write(&unsigned, testDocument(), files); err != nil {
		b.Fatal(err)
	}
	return signBytes(b, unsigned.Bytes(), pki.identity), pdf, pki
}

// BenchmarkReadValidateVerify20MB reads, validates and verifies the signed package,
// attachment bytes measured and dropped (DiscardSink).
func BenchmarkReadValidateVerify20MB(b *testing.B) {
	signed, _, pki := signedBenchPackage(b)
	b.SetBytes(benchAttachmentSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		pkg, err := Read(bytes.NewReader(signed), Options{Roots: pki.roots(), RequireSignature: true})
		if err != nil || pkg.Attachments[0].Size != benchAttachmentSize {
			b.Fatal(err)
		}
	}
}

// BenchmarkBase64Decode20MB is the reference: Go's base64 decoding of the same data.
func BenchmarkBase64Decode20MB(b *testing.B) {
	_, pdf, _ := signedBenchPackage(b)
	encoded := []byte(base64.StdEncoding.EncodeToString(pdf))
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(encoded)))
	b.SetBytes(benchAttachmentSize)
	b.ResetTimer()
	for range b.N {
		if _, err := base64.StdEncoding.Decode(dst, encoded); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadUnpackZipped20MB reads a package whose attachment is a 20 MB file
// zipped by convention, storing it and unpacking it into a directory.
func BenchmarkReadUnpackZipped20MB(b *testing.B) {
	pdf := testPDF(benchAttachmentSize)
	var pkg bytes.Buffer
	files := []AttachmentSource{{AttachmentMeta{ContentID: "1", Name: "ban-ve.dwg", ContentType: "application/zip"}, bytes.NewReader(pdf)}}
	if err := Write(&pkg, testDocument(), files); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.SetBytes(benchAttachmentSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sink := NewDirSink(dir)
		read, err := Read(bytes.NewReader(pkg.Bytes()), Options{Sink: sink})
		if err != nil || len(read.Attachments) != 2 || read.Attachments[1].Size != benchAttachmentSize {
			b.Fatal(err)
		}
		if err := sink.Discard(); err != nil {
			b.Fatal(err)
		}
	}
}
