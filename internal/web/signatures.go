package web

import (
	"bytes"
	"context"
	"errors"

	"edms/internal/docs"
	"edms/internal/signing"
)

// signatureCheck is what the document page says about the digital signatures of the
// current main file, as the project's verifier finds them against the trust anchors.
type signatureCheck struct {
	Checked bool // false: no PDF, or no trust store configured
	Report  *signing.Report
	Error   string // the file could not be read as a PDF
}

// checkSignatures verifies the latest main PDF of a document.
func (s *Server) checkSignatures(ctx context.Context, files []docs.File) signatureCheck {
	if s.cfg.Trust == nil {
		return signatureCheck{}
	}
	main, ok := latestMain(files)
	if !ok || main.MediaType != docs.MediaPDF {
		return signatureCheck{}
	}
	var buf bytes.Buffer
	if _, err := docs.CopyBlob(ctx, s.pool, main.BlobID, &buf); err != nil {
		return signatureCheck{Checked: true, Error: "Không đọc được tệp để kiểm tra chữ ký."}
	}
	report, err := signing.Verify(signing.NewDocument(bytes.NewReader(buf.Bytes()), int64(buf.Len())), s.cfg.Trust)
	switch {
	case errors.Is(err, signing.ErrEncrypted):
		return signatureCheck{Checked: true, Error: "Tệp PDF bị mã hóa; không kiểm tra được chữ ký."}
	case err != nil:
		return signatureCheck{Checked: true, Error: "Tệp không phải PDF đọc được; không kiểm tra được chữ ký."}
	}
	return signatureCheck{Checked: true, Report: report}
}

// latestMain is the newest version of a document's main file.
func latestMain(files []docs.File) (docs.File, bool) {
	var main docs.File
	for _, f := range files {
		if f.Kind == docs.KindMain && f.Version >= main.Version {
			main = f
		}
	}
	return main, main.ID != 0
}
