package liaison

import (
	"bytes"
	"path/filepath"
	"strings"
)

// Content families recognised from the first bytes of a file.
const (
	familyPDF   = "PDF document"
	familyZip   = "zip archive"
	familyOLE   = "OLE2 compound file (doc/xls/ppt)"
	familyPNG   = "PNG image"
	familyJPEG  = "JPEG image"
	familyTIFF  = "TIFF image"
	familyXML   = "XML document"
	familyOther = "unrecognised data"
)

// sniffLen is how many leading bytes sniffing needs.
const sniffLen = 16

var signatures = []struct {
	family string
	magic  []byte
}{
	{familyPDF, []byte("%PDF-")},
	{familyZip, []byte("PK\x03\x04")},
	{familyZip, []byte("PK\x05\x06")},
	{familyOLE, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}},
	{familyPNG, []byte("\x89PNG\r\n\x1a\n")},
	{familyJPEG, []byte{0xFF, 0xD8, 0xFF}},
	{familyTIFF, []byte("II*\x00")},
	{familyTIFF, []byte("MM\x00*")},
	{familyXML, []byte("<?xml")},
	{familyXML, []byte("\xef\xbb\xbf<?xml")},
}

func sniffFamily(head []byte) string {
	for _, s := range signatures {
		if bytes.HasPrefix(head, s.magic) {
			return s.family
		}
	}
	return familyOther
}

// typeFamilies maps the MIME types exchanged in practice to the family their bytes
// must belong to (office open XML and OpenDocument files are zip archives).
var typeFamilies = map[string]string{
	"application/pdf":              familyPDF,
	"application/zip":              familyZip,
	"application/x-zip-compressed": familyZip,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   familyZip,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         familyZip,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": familyZip,
	"application/vnd.oasis.opendocument.text":                                   familyZip,
	"application/vnd.oasis.opendocument.spreadsheet":                            familyZip,
	"application/msword":            familyOLE,
	"application/vnd.ms-excel":      familyOLE,
	"application/vnd.ms-powerpoint": familyOLE,
	"image/png":                     familyPNG,
	"image/jpeg":                    familyJPEG,
	"image/tiff":                    familyTIFF,
	"application/xml":               familyXML,
	"text/xml":                      familyXML,
}

// extensionTypes is the MIME type each common file extension implies.
var extensionTypes = map[string]string{
	".pdf":  "application/pdf",
	".zip":  "application/zip",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".doc":  "application/msword",
	".xls":  "application/vnd.ms-excel",
	".ppt":  "application/vnd.ms-powerpoint",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".xml":  "application/xml",
}

// ContentTypeFor returns the MIME type implied by a file name's extension, or
// application/zip for other files, which travel zipped by convention.
func ContentTypeFor(name string) string {
	if t, ok := extensionTypes[strings.ToLower(filepath.Ext(name))]; ok {
		return t
	}
	return "application/zip"
}

// checkContent compares an attachment's declared type and name with its first bytes.
// It returns a violation (bytes or name contradict the type) or a warning (the type
// cannot be checked); both empty when consistent.
func checkContent(meta AttachmentMeta, head []byte) (violation, warning string) {
	declared := strings.ToLower(strings.TrimSpace(meta.ContentType))
	if i := strings.IndexByte(declared, ';'); i >= 0 {
		declared = strings.TrimSpace(declared[:i])
	}
	want, known := typeFamilies[declared]
	if !known {
		return "", "content type " + quote(meta.ContentType) + " cannot be checked against the bytes"
	}
	if got := sniffFamily(head); got != want {
		return "declared " + declared + " but the bytes are a " + got, ""
	}
	// A file zipped by convention keeps its original name; otherwise the name's
	// extension must agree with the declared type.
	if implied, ok := extensionTypes[strings.ToLower(filepath.Ext(meta.Name))]; ok && want != familyZip && typeFamilies[implied] != want {
		return "name " + quote(meta.Name) + " implies " + implied + ", not " + declared, ""
	}
	return "", ""
}

func quote(s string) string { return "\"" + s + "\"" }
