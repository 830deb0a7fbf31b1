package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
)

// The document page shows the document's PDFs in an embedded viewer (pdf.js, vendored
// under static/vendor/pdfjs, drawn by static/viewer.js) beside the verdicts on their
// signatures. Before the number is issued, the clerk sees page 1 with the areas the
// stamp will fill (found by the viewer in the PDF's text, or dragged) and stores them.

func (s *Server) routeViewer(r *mux.Router) {
	s.handle(r, "document.placement", "POST", placementPath, need(access.DocumentRead), asPage, s.pagePlacement)
}

func (s *Server) routeViewerAPI(api *mux.Router) {
	s.handle(api, "api.document.placement", "PUT", placementPath, need(access.DocumentRead), asAPI, s.apiPlacement)
}

// The placement routes only need to see the document: the clerk places the number
// and date (outgoing:issue) and the signer the signature (outgoing:sign), and
// docs.SetPlacement checks the step each may take.

const placementPath = "/documents/{id:[0-9]+}/placement"

// viewerData is what the viewer shows of a document.
type viewerData struct {
	Files []docs.File // the PDFs: the main file's versions, newest first, then the others
	// CanPlace: the viewer may place the number and date (the issue is the next step
	// and the viewer may take it).
	CanPlace bool
	// CanPlaceSignature: the viewer may place the signature (signing is the next
	// step and the viewer may take it).
	CanPlaceSignature bool
	Placement         docs.Placement // stored, or empty
	Form              docs.Placement // the form's areas, where the boxes start when nothing is found
	Signer            string         // the viewer's full name, looked for in the signer's block
}

// viewerFor collects the viewer's data from the document's detail.
func (s *Server) viewerFor(r *http.Request, d *documentDetail) (viewerData, error) {
	v := viewerData{Files: viewablePDFs(d.Files), Form: docs.FormPlacement()}
	v.CanPlace = len(v.Files) > 0 && canTake(d, "issue")
	v.CanPlaceSignature = len(v.Files) > 0 && canTake(d, "sign")
	if v.CanPlaceSignature {
		v.Signer = principalOf(r).User.FullName
	}
	if !v.CanPlace && !v.CanPlaceSignature {
		return v, nil
	}
	var err error
	v.Placement, err = s.docs.PlacementOf(r.Context(), d.Record.ID)
	return v, err
}

// canTake says whether the document's next steps include action for the viewer.
func canTake(d *documentDetail, action string) bool {
	return slices.ContainsFunc(d.Actions, func(a docs.ActionInfo) bool { return a.Action == action })
}

// viewablePDFs are the PDF files of a document, the newest main version first.
func viewablePDFs(files []docs.File) []docs.File {
	var pdfs []docs.File
	for _, f := range files {
		if f.MediaType == docs.MediaPDF {
			pdfs = append(pdfs, f)
		}
	}
	slices.SortStableFunc(pdfs, func(a, b docs.File) int {
		if (a.Kind == docs.KindMain) != (b.Kind == docs.KindMain) {
			if a.Kind == docs.KindMain {
				return -1
			}
			return 1
		}
		return b.Version - a.Version
	})
	return pdfs
}

// pagePlacement stores the placement the viewer sends as JSON in the form's
// "placement" field. An unreadable field leaves the placement empty, which the
// service refuses once it knows the document is visible to the clerk.
func (s *Server) pagePlacement(w http.ResponseWriter, r *http.Request) error {
	var p docs.Placement
	_ = json.Unmarshal([]byte(r.FormValue("placement")), &p)
	err := s.docs.SetPlacement(r.Context(), s.actorOf(r), documentID(r), p)
	back := fmt.Sprintf("/documents/%d", documentID(r))
	done := "Đã lưu vị trí ghi số, ngày ban hành."
	if p.Number == nil && p.Signature != nil {
		done = "Đã lưu vị trí chữ ký."
	}
	return s.afterForm(w, r, err, back, done, back)
}

func (s *Server) apiPlacement(w http.ResponseWriter, r *http.Request) error {
	var p docs.Placement
	if err := decodeJSON(w, r, &p); err != nil {
		return err
	}
	if err := s.docs.SetPlacement(r.Context(), s.actorOf(r), documentID(r), p); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
