package liaison

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// WriteSummary prints a readable account of a package: parties, identity of the
// document, trace, business, attachments with sizes and hashes, signature, warnings.
func WriteSummary(w io.Writer, pkg *Package) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("Kind:        %s package", pkg.Kind)
	switch pkg.Kind {
	case KindDocument:
		writeDocumentSummary(p, pkg)
	case KindStatus:
		s := pkg.Status
		p("From:        %s", party(s.From))
		p("Answers:     %s (%s, %s)", s.ResponseFor.DocumentID, s.ResponseFor.OrganID, s.ResponseFor.Code)
		p("Status:      %s %s", s.StatusCode, StatusCodes[s.StatusCode])
		p("Description: %s", s.Description)
		p("Timestamp:   %s", formatTimestamp(s.Timestamp))
		p("Staff:       %s, %s", s.Staff.Staff, s.Staff.Department)
	}
	for _, th := range pkg.Trace {
		p("Trace:       %s at %s", th.OrganID, formatTimestamp(th.Timestamp))
	}
	writeSignatureSummary(p, pkg.Signature)
	for _, is := range pkg.Warnings {
		p("%s", is)
	}
}

func writeDocumentSummary(p func(string, ...any), pkg *Package) {
	h := pkg.Header
	p("From:        %s", party(h.From))
	for _, to := range h.To {
		p("To:          %s", party(to))
	}
	p("DocumentId:  %s", h.DocumentID)
	p("Number:      %s/%s, %s, %s", h.Code.Number, h.Code.Notation, h.Place, h.PromulgationDate)
	p("Type:        %s", h.DocumentType.TypeName)
	p("Subject:     %s", h.Subject)
	p("Signer:      %s %s %s", h.Signer.Competence, h.Signer.Position, h.Signer.FullName)
	if !h.DueDate.IsZero() {
		p("Due:         %s", h.DueDate)
	}
	p("Priority:    %d", h.OtherInfo.Priority)
	business := BusinessNew
	if pkg.Business != nil {
		business = pkg.Business.DocType
	}
	p("Business:    %d (%s)", business, business)
	for _, a := range pkg.Attachments {
		label := "Attachment: "
		if a.FromArchive != "" {
			label = "  unpacked: "
		}
		p("%s cid:%s %q %s, %d bytes, sha256 %s", label, a.ContentID, a.Name, a.ContentType, a.Size, hex.EncodeToString(a.SHA256[:]))
	}
}

func writeSignatureSummary(p func(string, ...any), sig SignatureInfo) {
	p("Signature:   %s", sig.State)
	for i, c := range sig.Chain {
		p("  cert[%d]:   %s (issuer %s, valid until %s)", i, c.Subject, c.Issuer, c.NotAfter.Format("2006-01-02"))
	}
	if sig.Problem != nil {
		p("  problem:   %v", sig.Problem)
	}
}

func party(o Organization) string {
	return strings.TrimSpace(o.OrganID + " " + o.OrganName)
}
