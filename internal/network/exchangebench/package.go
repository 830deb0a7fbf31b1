package exchangebench

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/signing/pki"
)

const senderName = "Ủy ban nhân dân xã Yên Đổ"

func agencySubject() pki.Options {
	return pki.Options{Subject: pki.Subject{CommonName: senderName, Identifier: sender}}
}

// letterPDF is the letter every package carries.
func letterPDF() ([]byte, error) {
	typ, _ := docs.LookupType(docs.TypeCongVan)
	pdf, err := docs.ComposePDF(docs.ComposeInput{IssuerName: senderName, Type: typ,
		Subject: "Về việc đo hiệu năng liên thông", Body: "Nội dung đo hiệu năng."})
	if err != nil {
		return nil, fmt.Errorf("exchangebench: unable to compose the letter: %w", err)
	}
	return pdf, nil
}

// signed builds package number seq to the district and signs it as the sender; it
// returns the package and its DocumentId.
func (b *bench) signed(seq int, now time.Time) ([]byte, string, error) {
	unsigned, documentID, err := b.unsigned(seq, now)
	if err != nil {
		return nil, "", err
	}
	var signed bytes.Buffer
	if err := liaison.Sign(&signed, bytes.NewReader(unsigned), b.identity, liaison.Limits{}); err != nil {
		return nil, "", fmt.Errorf("exchangebench: unable to sign package %d: %w", seq, err)
	}
	return signed.Bytes(), documentID, nil
}

// unsigned builds package number seq to the district, with a fresh annex; it
// returns the package and its DocumentId.
func (b *bench) unsigned(seq int, now time.Time) ([]byte, string, error) {
	header := &liaison.MessageHeader{
		From:             liaison.Organization{OrganID: sender, OrganName: senderName, OrganizationInCharge: senderName, OrganAdd: "Phú Lương, Thái Nguyên"},
		To:               []liaison.Organization{{OrganID: demo.DistrictID, OrganName: "Ủy ban nhân dân huyện Phú Lương"}},
		Code:             liaison.Code{Number: strconv.Itoa(seq), Notation: "UBND-" + b.run},
		Place:            "Yên Đổ",
		PromulgationDate: liaison.Date{Year: now.Year(), Month: now.Month(), Day: now.Day()},
		DocumentType:     liaison.DocumentType{Type: 1, TypeName: "Công văn"},
		Subject:          "Về việc đo hiệu năng liên thông",
		Content:          "Nội dung đo hiệu năng.",
		Signer:           liaison.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Lý Văn Tám"},
		OtherInfo:        liaison.OtherInfo{Priority: 1, PageAmount: 1, PromulgationAmount: 1},
		SteeringType:     1,
		ToPlaces:         []string{"Như trên"},
	}
	header.DocumentID = liaison.DocumentID(sender, header.PromulgationDate, header.Code)
	spec := liaison.BuildSpec{Package: liaison.Package{Header: header,
		Business: &liaison.Business{DocType: liaison.BusinessNew, Reason: "Văn bản điện tử mới"}},
		Files: []liaison.FileSpec{{Path: b.pdfPath, ContentType: docs.MediaPDF}}}
	annex, err := b.writeAnnex(seq)
	if err != nil {
		return nil, "", err
	}
	defer os.Remove(annex)
	spec.Files = append(spec.Files, liaison.FileSpec{Path: annex, ContentType: docs.MediaPNG})
	var unsigned bytes.Buffer
	if err := spec.Build(&unsigned, now); err != nil {
		return nil, "", fmt.Errorf("exchangebench: unable to build package %d: %w", seq, err)
	}
	return unsigned.Bytes(), header.DocumentID, nil
}

// writeAnnex writes a PNG of fresh random noise for package seq: the receiving node
// stores identical content once, so every package carries new content, as real
// ones do. It is stored uncompressed, so its size is that of its pixels.
func (b *bench) writeAnnex(seq int) (string, error) {
	side := max(int(math.Sqrt(float64(b.annexSize))), 1)
	img := image.NewGray(image.Rect(0, 0, side, side))
	rand.Read(img.Pix)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		return "", fmt.Errorf("exchangebench: unable to encode the annex: %w", err)
	}
	path := filepath.Join(b.dir, fmt.Sprintf("phu-luc-%d.png", seq))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("exchangebench: %w", err)
	}
	return path, nil
}
