package liaison

import (
	"bytes"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Content families recognised from the first bytes of a file.
const (
	familyPDF        = "PDF document"
	familyZip        = "zip archive"
	familyOLE        = "OLE2 compound file (doc/xls/ppt)"
	familyRTF        = "RTF document"
	familyPNG        = "PNG image"
	familyJPEG       = "JPEG image"
	familyGIF        = "GIF image"
	familyBMP        = "BMP image"
	familyTIFF       = "TIFF image"
	familyXML        = "XML document"
	familyText       = "plain text"
	familyExecutable = "executable program"
	familyOther      = "unrecognised data"
	familyEmpty      = "empty file"
)

// sniffLen is how many leading bytes sniffing needs (text is judged on them).
const sniffLen = 512

var signatures = []struct {
	family string
	magic  []byte
}{
	{familyPDF, []byte("%PDF-")},
	{familyZip, []byte("PK\x03\x04")},
	{familyZip, []byte("PK\x05\x06")},
	{familyOLE, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}},
	{familyRTF, []byte(`{\rtf`)},
	{familyPNG, []byte("\x89PNG\r\n\x1a\n")},
	{familyJPEG, []byte{0xFF, 0xD8, 0xFF}},
	{familyGIF, []byte("GIF87a")},
	{familyGIF, []byte("GIF89a")},
	{familyTIFF, []byte("II*\x00")},
	{familyTIFF, []byte("MM\x00*")},
	{familyXML, []byte("<?xml")},
	{familyXML, []byte("\xef\xbb\xbf<?xml")},
	{familyExecutable, []byte("MZ")},                   // Windows PE, DOS
	{familyExecutable, []byte("\x7fELF")},              // Linux
	{familyExecutable, []byte{0xFE, 0xED, 0xFA, 0xCE}}, // Mach-O 32
	{familyExecutable, []byte{0xFE, 0xED, 0xFA, 0xCF}}, // Mach-O 64
	{familyExecutable, []byte{0xCE, 0xFA, 0xED, 0xFE}}, // Mach-O 32, little endian
	{familyExecutable, []byte{0xCF, 0xFA, 0xED, 0xFE}}, // Mach-O 64, little endian
	{familyExecutable, []byte{0xCA, 0xFE, 0xBA, 0xBE}}, // Mach-O universal, Java class
	{familyExecutable, []byte("#!")},                   // scripts
}

func sniffFamily(head []byte) string {
	if len(head) == 0 {
		return familyEmpty
	}
	for _, s := range signatures {
		if bytes.HasPrefix(head, s.magic) {
			return s.family
		}
	}
	if looksLikeBMP(head) {
		return familyBMP
	}
	if looksLikeText(head) {
		return familyText
	}
	return familyOther
}

// looksLikeBMP checks "BM" and the reserved zero bytes of the BMP file header.
func looksLikeBMP(head []byte) bool {
	return len(head) >= 14 && bytes.HasPrefix(head, []byte("BM")) && bytes.Equal(head[6:10], []byte{0, 0, 0, 0})
}

// looksLikeText tells whether head is UTF-8 text without control characters other
// than tab, line ends and form feed (the last rune may be cut by the sniff length).
func looksLikeText(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		switch {
		case r == utf8.RuneError && n <= 1:
			return len(head) < utf8.UTFMax && !utf8.FullRune(head)
		case r < ' ' && r != '\t' && r != '\n' && r != '\r' && r != '\f', r == 0x7f:
			return false
		}
		head = head[n:]
	}
	return true
}

// typeFamilies maps the MIME types exchanged in practice, including the
// non-standard ones real producers write (application/doc...), to the family their
// bytes must belong to (office open XML and OpenDocument files are zip archives).
var typeFamilies = map[string]string{
	"application/pdf":              familyPDF,
	"application/zip":              familyZip,
	"application/x-zip-compressed": familyZip,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   familyZip,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         familyZip,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": familyZip,
	"application/vnd.oasis.opendocument.text":                                   familyZip,
	"application/vnd.oasis.opendocument.spreadsheet":                            familyZip,
	"application/vnd.oasis.opendocument.presentation":                           familyZip,
	"application/docx":              familyZip,
	"application/xlsx":              familyZip,
	"application/msword":            familyOLE,
	"application/vnd.ms-excel":      familyOLE,
	"application/vnd.ms-powerpoint": familyOLE,
	"application/doc":               familyOLE,
	"application/xls":               familyOLE,
	"application/rtf":               familyRTF,
	"text/rtf":                      familyRTF,
	"image/png":                     familyPNG,
	"image/jpeg":                    familyJPEG,
	"image/jpg":                     familyJPEG,
	"image/gif":                     familyGIF,
	"image/bmp":                     familyBMP,
	"image/tiff":                    familyTIFF,
	"application/xml":               familyXML,
	"text/xml":                      familyXML,
	"text/plain":                    familyText,
	"text/csv":                      familyText,
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
	".odp":  "application/vnd.oasis.opendocument.presentation",
	".doc":  "application/msword",
	".xls":  "application/vnd.ms-excel",
	".ppt":  "application/vnd.ms-powerpoint",
	".rtf":  "application/rtf",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".bmp":  "image/bmp",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".xml":  "application/xml",
	".txt":  "text/plain",
	".csv":  "text/csv",
}

// familyTypes is the type trusted for bytes of a family when no declared type fits.
var familyTypes = map[string]string{
	familyPDF:  "application/pdf",
	familyZip:  "application/zip",
	familyOLE:  "application/octet-stream",
	familyRTF:  "application/rtf",
	familyPNG:  "image/png",
	familyJPEG: "image/jpeg",
	familyGIF:  "image/gif",
	familyBMP:  "image/bmp",
	familyTIFF: "image/tiff",
	familyXML:  "application/xml",
	familyText: "text/plain",
}

// dangerousExtensions are names that run code when a clerk opens the file.
var dangerousExtensions = map[string]bool{
	".exe": true, ".dll": true, ".com": true, ".scr": true, ".msi": true, ".bat": true, ".cmd": true,
	".ps1": true, ".vbs": true, ".vbe": true, ".js": true, ".jse": true, ".wsf": true, ".hta": true,
	".jar": true, ".lnk": true, ".sh": true, ".cpl": true, ".pif": true,
}

// ContentTypeFor returns the MIME type implied by a file name's extension, or
// application/zip for other files, which travel zipped by convention.
func ContentTypeFor(name string) string {
	if t, ok := extensionTypes[extension(name)]; ok {
		return t
	}
	return "application/zip"
}

// travelsAsIs tells whether a file of this name is attached as it is; other files
// are zipped by convention (the reference library's rule).
func travelsAsIs(name string) bool {
	_, ok := extensionTypes[extension(name)]
	return ok
}

func extension(name string) string {
	return strings.ToLower(filepath.Ext(strings.ReplaceAll(name, "\\", "/")))
}

// mediaType lower-cases a declared type and drops its parameters.
func mediaType(declared string) string {
	declared = strings.ToLower(strings.TrimSpace(declared))
	if i := strings.IndexByte(declared, ';'); i >= 0 {
		declared = strings.TrimSpace(declared[:i])
	}
	return declared
}

// isGenericZip tells whether a type says "a zip archive" rather than a document
// format that happens to be zip-based.
func isGenericZip(t string) bool {
	return t == "application/zip" || t == "application/x-zip-compressed"
}

// checkOwnContent is the writer's strict check: the declared type must fit the
// bytes, the name must not contradict it, and nothing executable is sent.
func checkOwnContent(meta AttachmentMeta, head []byte) string {
	declared := mediaType(meta.ContentType)
	got := sniffFamily(head)
	if problem := dangerous(meta.Name, got); problem != "" {
		return problem
	}
	want, known := typeFamilies[declared]
	if !known {
		return "content type " + quote(meta.ContentType) + " is not one edms sends"
	}
	if got != want {
		return "declared " + declared + " but the bytes are a " + got
	}
	if implied, ok := extensionTypes[extension(meta.Name)]; ok && !isGenericZip(declared) && typeFamilies[implied] != want {
		return "name " + quote(meta.Name) + " implies " + implied + ", not " + declared
	}
	return ""
}

// dangerous names what makes a file unsafe to store: executable bytes or a name
// that runs code when opened.
func dangerous(name, family string) string {
	if family == familyExecutable {
		return "the bytes are an executable program, which is never accepted"
	}
	if dangerousExtensions[extension(name)] {
		return "name " + quote(name) + " is that of a program or script, which is never accepted"
	}
	return ""
}

func quote(s string) string { return "\"" + s + "\"" }
