package exchange

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/docmap"
	"edms/internal/org"
	"edms/internal/signing"
	"edms/internal/store"
)

// ErrNotExportable is returned for a document that cannot travel as a package: a
// secret one, or one not issued yet.
var ErrNotExportable = errors.New("exchange: the document cannot travel as an edXML package")

// AgencyKeys opens the signing key of an agency (a docsign.Keyring).
type AgencyKeys interface {
	Agency(organID string) (*signing.Identity, error)
}

// Packer builds the edXML packages of this node's agencies and signs them with the
// sending agency's key. It is the one implementation behind the exchange and the
// web download of a package.
type Packer struct {
	DB   store.DB   // where the agencies and the files are read
	Keys AgencyKeys // nil: packages go unsigned
}

// Built is a package written to an unlinked temporary file, rewound: it is gone
// when closed.
type Built struct {
	*os.File
	Size   int64
	Signed bool // false when the agency has no key: the receiver will see it unsigned
}

// Document builds the package of an issued outgoing document (with its recipients)
// and its current files; business says what the package does to the document (nil:
// a new document).
func (p Packer) Document(ctx context.Context, rec *docs.Record, business *liaison.Business, now time.Time) (*Built, error) {
	agency, err := org.AgencyByID(ctx, p.DB, rec.AgencyID)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to read the sending agency: %w", err)
	}
	pkg, err := docmap.FromDocument(&rec.Document, senderOf(agency), now)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotExportable, err)
	}
	if business != nil {
		b := *business
		b.DocumentID = pkg.Header.DocumentID
		pkg.Business = &b
	}
	dir, err := os.MkdirTemp("", "edms-exchange-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	sources, closeAll, err := p.currentFiles(ctx, rec.ID, dir)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	return p.write(agency.OrganID, func(w io.Writer) error { return liaison.Write(w, pkg, sources) })
}

// Status builds a status package from one of this node's agencies.
func (p Packer) Status(ctx context.Context, agencyID int64, st liaison.Status) (*Built, error) {
	agency, err := org.AgencyByID(ctx, p.DB, agencyID)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to read the reporting agency: %w", err)
	}
	st.From = senderOf(agency)
	pkg := &liaison.Package{Kind: liaison.KindStatus, Status: &st,
		Trace: []liaison.TraceHeader{{OrganID: agency.OrganID, Timestamp: st.Timestamp.Truncate(time.Second)}}}
	return p.write(agency.OrganID, func(w io.Writer) error { return liaison.Write(w, pkg, nil) })
}

func senderOf(a *org.Agency) liaison.Organization {
	return liaison.Organization{OrganID: a.OrganID, OrganName: a.Name, OrganAdd: a.Address, Email: a.Email,
		Telephone: a.Phone, Fax: a.Fax, Website: a.Website}
}

// write writes the package to a temporary file and signs it as organID.
func (p Packer) write(organID string, write func(io.Writer) error) (*Built, error) {
	unsigned, err := tempFile()
	if err != nil {
		return nil, err
	}
	if err := write(unsigned); err != nil {
		unsigned.Close()
		return nil, fmt.Errorf("%w: %v", ErrNotExportable, err)
	}
	built, err := p.sign(organID, unsigned)
	if built == nil || built.File != unsigned {
		unsigned.Close()
	}
	if err != nil {
		return nil, err
	}
	return built, rewind(built)
}

// sign signs the unsigned package with the agency's key; without one it is
// returned as it is.
func (p Packer) sign(organID string, unsigned *os.File) (*Built, error) {
	if p.Keys == nil {
		return &Built{File: unsigned}, nil
	}
	id, err := p.Keys.Agency(organID)
	if err != nil {
		return &Built{File: unsigned}, nil
	}
	defer id.Close()
	if _, err := unsigned.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	signed, err := tempFile()
	if err != nil {
		return nil, err
	}
	chain := append([]*x509.Certificate{id.Certificate}, id.Chain...)
	if err := liaison.Sign(signed, unsigned, liaison.Identity{Signer: id.Signer, Chain: chain}, liaison.Limits{}); err != nil {
		signed.Close()
		return nil, fmt.Errorf("exchange: unable to sign the package as %s: %w", organID, err)
	}
	return &Built{File: signed, Signed: true}, nil
}

// rewind seeks the built package to its start and measures it.
func rewind(b *Built) error {
	size, err := b.Seek(0, io.SeekEnd)
	if err != nil {
		b.Close()
		return err
	}
	b.Size = size
	if _, err := b.Seek(0, io.SeekStart); err != nil {
		b.Close()
		return err
	}
	return nil
}

// tempFile is an unlinked temporary file: gone when closed.
func tempFile() (*os.File, error) {
	f, err := os.CreateTemp("", "edms-edxml-*.edxml")
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to create a temporary file: %w", err)
	}
	os.Remove(f.Name())
	return f, nil
}

// currentFiles copies the latest main file and the attachments of a document from
// the blob store into dir and opens them as the package's attachments.
func (p Packer) currentFiles(ctx context.Context, docID int64, dir string) ([]liaison.AttachmentSource, func(), error) {
	files, err := docs.Files(ctx, p.DB, docID)
	if err != nil {
		return nil, nil, err
	}
	var opened []*os.File
	closeAll := func() {
		for _, f := range opened {
			f.Close()
		}
	}
	var sources []liaison.AttachmentSource
	for i, f := range currentOf(files) {
		body, err := os.Create(fmt.Sprintf("%s/%d", dir, i))
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		opened = append(opened, body)
		if _, err := docs.CopyBlob(ctx, p.DB, f.BlobID, body); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("exchange: unable to read the file %s: %w", f.Name, err)
		}
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			closeAll()
			return nil, nil, err
		}
		sources = append(sources, liaison.AttachmentSource{AttachmentMeta: liaison.AttachmentMeta{
			ContentID: fmt.Sprint(i + 1), Name: f.Name, ContentType: f.MediaType}, Body: body})
	}
	if len(sources) == 0 {
		return nil, nil, fmt.Errorf("%w: the document has no file", ErrNotExportable)
	}
	return sources, closeAll, nil
}

// currentOf is the latest version of the main file followed by the attachments.
func currentOf(files []docs.File) []docs.File {
	var main *docs.File
	var out []docs.File
	for i, f := range files {
		switch {
		case f.Kind == docs.KindMain && (main == nil || f.Version >= main.Version):
			main = &files[i]
		case f.Kind == docs.KindAttachment:
			out = append(out, f)
		}
	}
	if main == nil {
		return out
	}
	return append([]docs.File{*main}, out...)
}
