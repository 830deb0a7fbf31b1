package docs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// Where the issue stamp writes the number and the date. A document drafted outside
// the system and uploaded as a PDF prints its own placeholders ("Số: .../QĐ-UBND",
// "Phú Lương, ngày ... tháng ... năm ..."); the stamp fills them instead of writing a
// second number at the form's fixed spot. The document page finds them in the text
// of page 1 (pdf.js reads the text with its positions and widths, in every font
// encoding), shows them to the clerk, who drags them where they belong when they
// cannot be found, and the placement is stored with the document. Without one (a
// composed document, which leaves the form's areas empty, or an issuance through the
// API) the form's areas apply.

// Area is a rectangle of a page in PDF points from the bottom left, and the size of
// the text that fills it (0: the stamp's default).
type Area struct {
	LLX    float64 `json:"llx"`
	LLY    float64 `json:"lly"`
	URX    float64 `json:"urx"`
	URY    float64 `json:"ury"`
	SizePt float64 `json:"size,omitempty"`
	// Page is the 1-based page of a signature area (0: the last page); the number
	// and date are always on page 1.
	Page int `json:"page,omitempty"`
}

func (a *Area) valid() bool {
	return a != nil && a.URX-a.LLX >= 5 && a.URY-a.LLY >= 5 && a.LLX >= 0 && a.LLY >= 0 && a.URX < 5000 && a.URY < 5000 && a.SizePt >= 0 && a.SizePt < 72 && a.Page >= 0
}

// Placement is where the stamp writes the number and the date, on page 1, and where
// the signer's signature goes.
type Placement struct {
	Number *Area `json:"number,omitempty"`
	Date   *Area `json:"date,omitempty"`
	// Source says how the areas were placed: PlacementText, PlacementManual, or ""
	// when none is stored (the form's areas apply).
	Source string `json:"source"`
	// Signature is the signer's block, found above the signer's name in the text of
	// the last page or dragged by the signer; nil: the form's area on the last page.
	Signature *Area `json:"signature,omitempty"`
	// SignatureSource says how the signature area was placed, as Source does.
	SignatureSource string `json:"signature_source,omitempty"`
}

// Sources of a placement.
const (
	PlacementText   = "text"   // found in the PDF's text, confirmed by the clerk
	PlacementManual = "manual" // dragged by the clerk on the preview
)

// PlacementOf is the placement stored with a document (empty Source: none, the
// form's areas apply). The caller has checked that the actor may see the document.
func (s *Service) PlacementOf(ctx context.Context, docID int64) (Placement, error) {
	return storedPlacement(ctx, s.Pool, docID)
}

// storedPlacement is the placement stored with a document; without one, its Source
// is empty.
func storedPlacement(ctx context.Context, db store.DB, docID int64) (Placement, error) {
	var p Placement
	var raw []byte
	if err := db.QueryRow(ctx, `SELECT stamp_placement FROM documents WHERE id = $1`, docID).Scan(&raw); err != nil {
		return p, fmt.Errorf("docs: unable to read the stamp placement of document %d: %w", docID, err)
	}
	if raw == nil {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("docs: unable to read the stamp placement of document %d: %w", docID, err)
	}
	return p, nil
}

// SetPlacement stores the areas a clerk placed on the preview for the number and the
// date, while the document waits for its number; a placement with only a signature
// area is the signer's, stored while the document waits for the signature. Each
// keeps what the other placed.
func (s *Service) SetPlacement(ctx context.Context, a Actor, docID int64, p Placement) error {
	if p.Signature != nil && p.Number == nil && p.Date == nil {
		return s.mergePlacement(ctx, a, docID, "sign", func() (any, error) {
			if !p.Signature.valid() || (p.SignatureSource != PlacementText && p.SignatureSource != PlacementManual) {
				return nil, invalid("Vị trí chữ ký không hợp lệ; hãy kéo lại khung chữ ký.", "signature placement %+v out of bounds", p)
			}
			return struct { // only the signer's keys: the clerk's source stays
				Signature       *Area  `json:"signature"`
				SignatureSource string `json:"signature_source"`
			}{p.Signature, p.SignatureSource}, nil
		})
	}
	return s.mergePlacement(ctx, a, docID, "issue", func() (any, error) {
		if !p.Number.valid() || !p.Date.valid() || (p.Source != PlacementText && p.Source != PlacementManual) {
			return nil, invalid("Vị trí ghi số, ngày không hợp lệ; hãy kéo lại khung trên trang 1.", "placement %+v out of bounds", p)
		}
		return Placement{Number: p.Number, Date: p.Date, Source: p.Source}, nil
	})
}

// mergePlacement writes the keys of the part over the stored placement, if the actor
// may take the step action of the document. The part is checked only then, so that a
// hidden document is not found whatever the placement says.
func (s *Service) mergePlacement(ctx context.Context, a Actor, docID int64, action string, part func() (any, error)) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, _, err := s.enter(ctx, tx, a, outgoing, docID, action); err != nil {
			return err
		}
		value, err := part()
		if err != nil {
			return err
		}
		raw, err := json.Marshal(value)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE documents SET stamp_placement = coalesce(stamp_placement, '{}') || $1::jsonb
			WHERE id = $2`, raw, docID); err != nil {
			return fmt.Errorf("docs: unable to store the placement of document %d: %w", docID, err)
		}
		return nil
	})
}

// FormPlacement is the form's number, date and signature areas, the ones ComposePDF
// leaves empty, in PDF points on an A4 page (the signature on the last page).
func FormPlacement() Placement {
	return Placement{Number: NumberArea.PDFArea(), Date: DateArea.PDFArea(), Signature: SignatureArea.PDFArea()}
}

// PDFArea converts a form area, in millimetres from the top left of an A4 page, into
// PDF points from the bottom left.
func (a FormArea) PDFArea() *Area {
	const pt = 72 / 25.4
	const a4Height = 297 * pt
	return &Area{LLX: a.X * pt, LLY: a4Height - (a.Y+a.H)*pt, URX: (a.X + a.W) * pt, URY: a4Height - a.Y*pt}
}
