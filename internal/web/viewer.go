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
	s.handle(r, "document.placement", "POST", placementPath, need(access.OutgoingIssue), asPage, s.pagePlacement)
}

func (s *Server) routeViewerAPI(api *mux.Router) {
	s.handle(api, "api.document.placement", "PUT", placementPath, need(access.OutgoingIssue), asAPI, s.apiPlacement)
}

const placementPath = "/documents/{id:[0-9]+}/placement"

// viewerData is what the viewer shows of a document.
type viewerData struct {
	Files []docs.File // the PDFs: the main file's versions, newest first, then the others
	// CanPlace: the viewer may place the number and date (the issue is the next step
	// and the viewer may take it).
	CanPlace  bool
	Placement docs.Placement // stored, or empty
	Form      docs.Placement // the form's areas, where the boxes start when nothing is found
}

// viewerFor collects the viewer's data from the document's detail.
func (s *Server) viewerFor(r *http.Request, d *documentDetail) (viewerData, error) {
	v := viewerData{Files: viewablePDFs(d.Files), Form: docs.FormPlacement()}
	v.CanPlace = len(v.Files) > 0 && slices.ContainsFunc(d.Actions, func(a docs.ActionInfo) bool { return a.Action == "issue" })
	if !v.CanPlace {
		return v, nil
	}
	var err error
	v.Placement, err = s.docs.PlacementOf(r.Context(), d.Record.ID)
	return v, err
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
	return s.afterForm(w, r, err, back, "Đã lưu vị trí ghi số, ngày ban hành.", back)
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
