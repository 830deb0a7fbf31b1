package liaison

import (
	"cmp"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// BuildSpec describes a package to build: its fields (as in Package; the JSON keys
// are the Go field names, dates yyyy/MM/dd) and the files to attach.
type BuildSpec struct {
	Package
	Files []FileSpec
}

// FileSpec is one file to attach; only Path is required.
type FileSpec struct {
	Path        string
	ContentID   string // default: its position, 1-based
	Name        string // default: the base name of Path
	Description string // default: Name
	ContentType string // default: from the extension (application/zip otherwise)
}

// Build writes the package described by spec. It fills what the conventions derive:
// the kind, DocumentId ({OrganId},{yyyy/MM/dd},{number}/{symbol}) and a first
// TraceHeader for the sender, stamped now.
func (spec BuildSpec) Build(w io.Writer, now time.Time) error {
	pkg := spec.Package
	from, err := spec.complete(&pkg)
	if err != nil {
		return err
	}
	if len(pkg.Trace) == 0 {
		pkg.Trace = []TraceHeader{{OrganID: from, Timestamp: now.In(vietnam).Truncate(time.Second)}}
	}
	files := make([]AttachmentSource, len(spec.Files))
	for i, f := range spec.Files {
		name := cmp.Or(f.Name, filepath.Base(f.Path))
		contentType := cmp.Or(f.ContentType, ContentTypeFor(name))
		body, err := os.Open(f.Path)
		if err != nil {
			return err
		}
		defer body.Close()
		files[i] = AttachmentSource{AttachmentMeta{
			ContentID:   cmp.Or(f.ContentID, strconv.Itoa(i+1)),
			Name:        name,
			Description: cmp.Or(f.Description, name),
			ContentType: contentType,
		}, body}
	}
	return Write(w, &pkg, files)
}

// complete sets the kind and the DocumentId and returns the sender.
func (spec BuildSpec) complete(pkg *Package) (string, error) {
	switch {
	case pkg.Header != nil:
		pkg.Kind = KindDocument
		h := *pkg.Header
		if h.DocumentID == "" {
			h.DocumentID = DocumentID(h.From.OrganID, h.PromulgationDate, h.Code)
		}
		pkg.Header = &h
		return h.From.OrganID, nil
	case pkg.Status != nil:
		pkg.Kind = KindStatus
		return pkg.Status.From.OrganID, nil
	}
	return "", errors.New("edxml: the description has neither Header nor Status")
}
