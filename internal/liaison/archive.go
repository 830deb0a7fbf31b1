package liaison

import (
	"archive/zip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// ReopeningSink is a sink that can give back what it stored, which Read needs to
// unpack zipped attachments. DirSink is one; with a sink that is not, archives are
// kept as they are, with a warning.
type ReopeningSink interface {
	AttachmentSink
	Open(index int) (ReadAtCloser, error)
}

// ReadAtCloser is a stored attachment opened again.
type ReadAtCloser interface {
	io.ReaderAt
	io.Closer
}

// archiveRatioFloor is the size up to which an entry may expand without limit;
// the ratio bound applies beyond it (small text files compress very well).
const archiveRatioFloor = 1 << 20

// unpacker stores the files of zipped attachments as further attachments, within
// the archive limits, after the package has been read.
type unpacker struct {
	sink    ReopeningSink
	limits  Limits
	found   *issues
	out     []Attachment
	entries int
	total   int64
}

// unpackArchives unpacks every attachment found to be a zip archive, appending the
// files inside to pkg.Attachments. A refusal is recorded as a violation; the error
// is a storage failure.
func unpackArchives(pkg *Package, sink AttachmentSink, limits Limits, found *issues) error {
	reopening, ok := sink.(ReopeningSink)
	u := &unpacker{sink: reopening, limits: limits, found: found, out: pkg.Attachments}
	for i, att := range pkg.Attachments {
		if !att.archive {
			continue
		}
		path := fmt.Sprintf("%s/%s/ContentTransferEncoded", attachmentPath, stepName("Attachment", i+1))
		if !ok {
			found.warn(path, RuleArchive, "zip archive %s kept as it is: this reader cannot reopen stored files to unpack it", quote(att.Name))
			continue
		}
		if err := u.archive(att, path, 1); err != nil {
			return err
		}
	}
	pkg.Attachments = u.out
	return nil
}

// archive unpacks one archive (depth 1 for an attachment, more when nested).
func (u *unpacker) archive(att Attachment, at string, depth int) error {
	if depth > u.limits.MaxArchiveDepth {
		u.found.violate(at, RuleArchive, "zip archives are nested more than %d deep (a zip bomb?): refused", u.limits.MaxArchiveDepth)
		return nil
	}
	stored, err := u.sink.Open(att.Index)
	if err != nil {
		return &Error{Path: at, Rule: RuleStorage, Err: err}
	}
	defer stored.Close()
	zr, err := zip.NewReader(stored, att.Size)
	if errors.Is(err, zip.ErrInsecurePath) { // only with GODEBUG=zipinsecurepath=0
		u.found.violate(at, RuleArchive, "%s: an entry would be written outside its folder (path traversal): refused", quote(att.Name))
		return nil
	}
	if err != nil {
		u.found.warn(at, RuleArchive, "%s looks like a zip archive but cannot be opened (%v): kept as it is", quote(att.Name), err)
		return nil
	}
	files, problem := u.checkEntries(zr.File)
	if problem != "" {
		u.found.violate(at, RuleArchive, "%s: %s", quote(att.Name), problem)
		return nil
	}
	for _, f := range files {
		if err := u.entry(att, f, at, depth); err != nil || bySeverityCount(*u.found, Violation) > 0 {
			return err
		}
	}
	u.found.warn(at, RuleArchive, "zip archive %s unpacked into %d file(s) stored under their own names; the archive is kept as well", quote(att.Name), len(files))
	return nil
}

// checkEntries refuses archives that could write outside their folder, hold links
// or special files, use methods or encryption that cannot be read, or hold too many
// files, before anything is unpacked. It returns the regular files.
func (u *unpacker) checkEntries(all []*zip.File) ([]*zip.File, string) {
	var files []*zip.File
	for _, f := range all {
		if strings.HasSuffix(f.Name, "/") && f.Mode().IsDir() {
			continue
		}
		switch {
		case unsafeEntryName(f.Name):
			return nil, fmt.Sprintf("entry %s would be written outside its folder (path traversal): refused", quote(f.Name))
		case !f.Mode().IsRegular():
			return nil, fmt.Sprintf("entry %s is a link or a special file: refused", quote(f.Name))
		case f.Flags&0x1 != 0:
			return nil, fmt.Sprintf("entry %s is encrypted and cannot be read: refused", quote(f.Name))
		case f.Method != zip.Store && f.Method != zip.Deflate:
			return nil, fmt.Sprintf("entry %s uses compression method %d, which cannot be read: refused", quote(f.Name), f.Method)
		}
		files = append(files, f)
	}
	if u.entries += len(files); u.entries > u.limits.MaxArchiveEntries {
		return nil, fmt.Sprintf("zip archives hold more than %d files (a zip bomb?): refused", u.limits.MaxArchiveEntries)
	}
	return files, ""
}

// unsafeEntryName tells whether a zip entry name is absolute or climbs out with "..".
func unsafeEntryName(name string) bool {
	name = strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(name, "/") || (len(name) >= 2 && name[1] == ':') || strings.ContainsRune(name, 0) {
		return true
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// entry stores one file of an archive, bounding what it expands to, and unpacks it
// in turn when it is itself a zip archive.
func (u *unpacker) entry(archive Attachment, f *zip.File, at string, depth int) error {
	name := entryName(f.Name)
	meta := AttachmentMeta{ContentID: archive.ContentID + "/" + strings.ReplaceAll(f.Name, "\\", "/"), Name: name,
		Description: "trong tệp nén " + archive.Name}
	w, err := u.sink.Create(meta)
	if err != nil {
		return &Error{Path: at, Rule: RuleStorage, Err: err}
	}
	limit := min(max(u.limits.MaxArchiveRatio*int64(f.CompressedSize64), archiveRatioFloor),
		u.limits.MaxAttachmentBytes, u.limits.MaxArchiveBytes-u.total)
	out := &measuringWriter{w: w, hash: sha256.New()}
	copyErr := copyEntry(out, f, limit)
	if err := w.Close(); err != nil && copyErr == nil {
		return &Error{Path: at, Rule: RuleStorage, Err: err}
	}
	u.total += out.n
	switch {
	case errors.Is(copyErr, errEntryTooLarge):
		u.found.violate(at, RuleArchive, "entry %s expands beyond %d bytes (a zip bomb?): refused", quote(f.Name), limit)
		return nil
	case copyErr != nil:
		u.found.violate(at, RuleArchive, "entry %s cannot be read: %v", quote(f.Name), copyErr)
		return nil
	}
	att := Attachment{AttachmentMeta: meta, FromArchive: archive.ContentID, Index: len(u.out), Size: out.n, head: out.head}
	copy(att.SHA256[:], out.hash.Sum(nil))
	got := sniffFamily(att.head)
	if problem := dangerous(name, got); problem != "" {
		u.found.violate(at, RuleArchive, "entry %s: %s", quote(f.Name), problem)
		return nil
	}
	att.ContentType = entryType(name, got)
	u.out = append(u.out, att)
	if got == familyZip && isGenericZip(att.ContentType) {
		return u.archive(att, at, depth+1)
	}
	return nil
}

var errEntryTooLarge = errors.New("entry too large")

// copyEntry decompresses f into w, refusing more than limit bytes.
func copyEntry(w io.Writer, f *zip.File, limit int64) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(w, io.LimitReader(rc, limit+1))
	if err == nil && n > limit {
		return errEntryTooLarge
	}
	return err
}

// entryName is the base name of an entry, valid UTF-8 (old Windows zips write names
// in a legacy code page).
func entryName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	return name
}

// entryType is the type implied by the entry's name when its bytes agree, else the
// type of its bytes.
func entryType(name, family string) string {
	if implied, ok := extensionTypes[extension(name)]; ok && typeFamilies[implied] == family {
		return implied
	}
	if t, ok := familyTypes[family]; ok {
		return t
	}
	return "application/octet-stream"
}

func bySeverityCount(all []Issue, severity Severity) int { return len(bySeverity(all, severity)) }
