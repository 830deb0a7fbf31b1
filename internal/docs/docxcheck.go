package docs

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrUnconvertible means a DOCX will never convert, however often it is tried: its
// archive is refused, or LibreOffice ran out of its time or memory on it.
var ErrUnconvertible = errors.New("docs: the DOCX cannot be converted to PDF")

// Limits of a DOCX archive handed to LibreOffice. A Word document of an
// administration, a hundred pages long, holds well under 5 MiB of XML and its images
// are compressed already; a zip bomb (149 KB inflating to 51 MB of XML grew
// LibreOffice to 2.3 GB) is far beyond them.
const (
	docxMaxEntries   = 1000
	docxMaxXML       = 24 << 20  // all XML parts together, inflated
	docxMaxTotal     = 200 << 20 // all parts together, inflated
	docxMaxRatio     = 100       // inflated / compressed size of one part...
	docxRatioFloor   = 1 << 20   // ...counted for parts inflating beyond this
	docxAdviceUpload = " Hãy lưu lại tệp bằng Word hoặc tải lên bản PDF của dự thảo."
)

// unconvertible is the permanent failure of a conversion, with the reason in
// Vietnamese for the drafter.
func unconvertible(reason, detail string, args ...any) error {
	return &Error{Kind: ErrUnconvertible, Message: "Không chuyển được tệp DOCX sang PDF: " + reason + "." + docxAdviceUpload,
		Detail: fmt.Sprintf(detail, args...)}
}

// checkDOCX refuses an archive that would make LibreOffice inflate far more than a
// document holds: too many parts, too much XML or content once inflated, or a part
// compressed beyond any real document's ratio. Sizes are those actually inflated, not
// the ones the archive declares.
func checkDOCX(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return unconvertible("tệp không phải dạng nén DOCX hợp lệ", "%s is not a zip archive: %v", path, err)
	}
	defer zr.Close()
	if len(zr.File) > docxMaxEntries {
		return unconvertible(fmt.Sprintf("tệp có %d thành phần, quá mức %d", len(zr.File), docxMaxEntries),
			"%d entries", len(zr.File))
	}
	var total, xml int64
	for _, f := range zr.File {
		size, err := inflatedSize(f, docxMaxTotal-total)
		if err != nil {
			return err
		}
		total += size
		if isXMLPart(f.Name) {
			xml += size
		}
		switch {
		case xml > docxMaxXML:
			return unconvertible(fmt.Sprintf("phần nội dung XML bung nén ra hơn %d MiB", docxMaxXML>>20), "more than %d bytes of XML", docxMaxXML)
		case size > docxRatioFloor && size > docxMaxRatio*int64(f.CompressedSize64):
			return unconvertible(fmt.Sprintf("thành phần %s nén với tỉ lệ bất thường (1:%d)", f.Name, size/max(int64(f.CompressedSize64), 1)),
				"entry %s inflates from %d to %d bytes", f.Name, f.CompressedSize64, size)
		}
	}
	return nil
}

// inflatedSize inflates one part, up to limit bytes, and returns its size.
func inflatedSize(f *zip.File, limit int64) (int64, error) {
	tooLarge := unconvertible(fmt.Sprintf("tệp bung nén ra hơn %d MiB", docxMaxTotal>>20), "more than %d bytes inflated", docxMaxTotal)
	if f.UncompressedSize64 > uint64(limit) {
		return 0, tooLarge
	}
	rc, err := f.Open()
	if err != nil {
		return 0, unconvertible("thành phần "+f.Name+" không đọc được", "entry %s: %v", f.Name, err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(rc, limit+1))
	switch {
	case err != nil:
		return n, unconvertible("thành phần "+f.Name+" bị hỏng", "entry %s: %v", f.Name, err)
	case n > limit:
		return n, tooLarge
	}
	return n, nil
}

func isXMLPart(name string) bool {
	name = strings.ToLower(name)
	return strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels")
}
