package web

import (
	"context"
	"errors"
	"strings"
	"time"

	"edms/internal/docs"
	"edms/internal/liaison/exchange"
	"edms/internal/org"
)

// documentIn is the metadata of a document as a client sends it (a draft, or an
// incoming document registered by the clerk).
type documentIn struct {
	Type         docs.TypeCode `json:"type"`
	Subject      string        `json:"subject"`
	Content      string        `json:"content"`
	Place        string        `json:"place"`
	Urgency      docs.Urgency  `json:"urgency"`
	Secrecy      docs.Secrecy  `json:"secrecy"`
	PageCount    int           `json:"page_count"`
	IssuedAmount int           `json:"issued_amount"`
	DueDate      string        `json:"due_date"`   // yyyy-mm-dd
	Recipients   []string      `json:"recipients"` // organ_ids
	ToPlaces     []string      `json:"to_places"`
	Language     string        `json:"language"`
	RequestKey   string        `json:"request_key"` // one-time key: a double submit is refused
	ReplacesID   int64         `json:"replaces_id"`
	// Incoming documents only: what the issuer printed.
	CodeNumber    string     `json:"code_number"`
	CodeNotation  string     `json:"code_notation"`
	IssuedDate    string     `json:"issued_date"` // yyyy-mm-dd
	IssuerOrganID string     `json:"issuer_organ_id"`
	IssuerName    string     `json:"issuer_name"`
	Signer        signerJSON `json:"signer"`
	Paper         bool       `json:"paper"` // a paper document scanned by the clerk
}

type signerJSON struct {
	Competence string `json:"competence,omitempty"`
	Position   string `json:"position,omitempty"`
	FullName   string `json:"full_name,omitempty"`
}

// toDocument resolves recipients against the directory and parses the dates.
func (in documentIn) toDocument(ctx context.Context, s *Server) (docs.Document, error) {
	d := docs.Document{Type: in.Type, Subject: in.Subject, Content: in.Content, Place: in.Place, Urgency: in.Urgency,
		Secrecy: in.Secrecy, PageCount: in.PageCount, IssuedAmount: in.IssuedAmount, ToPlaces: in.ToPlaces,
		Language: in.Language, CodeNumber: in.CodeNumber, CodeNotation: in.CodeNotation, IssuerOrganID: in.IssuerOrganID,
		IssuerName: in.IssuerName, Paper: in.Paper,
		Signer: docs.SignerInfo{Competence: in.Signer.Competence, Position: in.Signer.Position, FullName: in.Signer.FullName}}
	var err error
	if d.DueDate, err = parseDate("hạn xử lý (due_date)", in.DueDate); err != nil {
		return d, err
	}
	if d.IssuedDate, err = parseDate("ngày văn bản (issued_date)", in.IssuedDate); err != nil {
		return d, err
	}
	for _, organID := range in.Recipients {
		a, err := org.AgencyByOrganID(ctx, s.pool, strings.TrimSpace(organID))
		if errors.Is(err, org.ErrAgencyNotFound) {
			return d, badRequest("recipient_unknown", "Nơi nhận có mã định danh \""+organID+"\" không có trong danh mục cơ quan.")
		}
		if err != nil {
			return d, err
		}
		recipient := docs.Recipient{AgencyID: a.ID, OrganID: a.OrganID, Name: a.Name}
		external, err := s.external(ctx, a.OrganID)
		if err != nil {
			return d, err
		}
		if external { // served by another node: the document travels through the hub
			recipient.AgencyID = 0
		}
		d.Recipients = append(d.Recipients, recipient)
	}
	return d, nil
}

// external tells whether a recipient is served by another node, so that documents
// for it travel through the hub.
func (s *Server) external(ctx context.Context, organID string) (bool, error) {
	if s.cfg.Exchange != nil {
		return s.cfg.Exchange.External(ctx, organID)
	}
	return exchange.External(ctx, s.pool, organID)
}

// documentOut is a document as the API returns it.
type documentOut struct {
	ID            int64      `json:"id"`
	Direction     string     `json:"direction"`
	Type          string     `json:"type"`
	TypeName      string     `json:"type_name"`
	Number        string     `json:"number,omitempty"` // "05/QĐ-UBND"
	IssuedDate    string     `json:"issued_date,omitempty"`
	Place         string     `json:"place,omitempty"`
	Subject       string     `json:"subject"`
	Issuer        string     `json:"issuer"`
	IssuerOrganID string     `json:"issuer_organ_id"`
	Signer        signerJSON `json:"signer"`
	Urgency       string     `json:"urgency"`
	Secrecy       string     `json:"secrecy"`
	DueDate       string     `json:"due_date,omitempty"`
	State         string     `json:"state"`
	StateLabel    string     `json:"state_label"`
	ArrivalNumber int        `json:"arrival_number,omitempty"`
	ArrivalDate   *time.Time `json:"arrival_date,omitempty"`
	ExternalID    string     `json:"external_id,omitempty"`
	LeaderSigned  bool       `json:"leader_signed"`
	AgencySigned  bool       `json:"agency_signed"`
	CreatedAt     time.Time  `json:"created_at"`
}

func dateString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02")
}

func toDocumentOut(r *docs.Record) documentOut {
	state := string(r.OutgoingState)
	if r.Direction == docs.Incoming {
		state = string(r.IncomingState)
	}
	return documentOut{ID: r.ID, Direction: string(r.Direction), Type: string(r.Type), TypeName: r.TypeName(),
		Number: r.NumberSymbol(), IssuedDate: dateString(r.IssuedDate), Place: r.Place, Subject: r.Subject,
		Issuer: r.IssuerName, IssuerOrganID: r.IssuerOrganID,
		Signer:  signerJSON{Competence: r.Signer.Competence, Position: r.Signer.Position, FullName: r.Signer.FullName},
		Urgency: string(r.Urgency), Secrecy: string(r.Secrecy), DueDate: dateString(r.DueDate),
		State: state, StateLabel: docs.StateLabel(r), ArrivalNumber: r.ArrivalNumber, ArrivalDate: r.ArrivalDate,
		ExternalID: r.ExternalID, LeaderSigned: r.LeaderSigned, AgencySigned: r.AgencySigned, CreatedAt: r.CreatedAt}
}
