package web

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
)

// routeRecords declares the pages of records (hồ sơ): the list of a year, a record
// with its documents, and the forms that open, fill, close and export it.
func (s *Server) routeRecords(r *mux.Router) {
	manage := need(access.RecordManage)
	s.handle(r, "records", "GET", "/records", manage, asPage, s.recordsPage)
	s.handle(r, "records.open", "POST", "/records", manage, asPage, s.pageOpenRecord)
	s.handle(r, "record", "GET", "/records/{record:[0-9]+}", manage, asPage, s.recordPage)
	s.handle(r, "record.add", "POST", "/records/{record:[0-9]+}/documents", manage, asPage, s.pageAddToRecord)
	s.handle(r, "record.remove", "POST", "/records/{record:[0-9]+}/documents/{id:[0-9]+}/remove", manage, asPage, s.pageRemoveFromRecord)
	s.handle(r, "record.close", "POST", "/records/{record:[0-9]+}/close", manage, asPage, s.pageCloseRecord)
	s.handle(r, "record.export", "GET", "/records/{record:[0-9]+}/export.zip", manage, asPage, s.exportRecord)
}

// routeRecordsAPI declares the JSON API of records (creation is api.records.create).
func (s *Server) routeRecordsAPI(api *mux.Router) {
	manage := need(access.RecordManage)
	s.handle(api, "api.records", "GET", "/records", manage, asAPI, s.apiRecords)
	s.handle(api, "api.record", "GET", "/records/{record:[0-9]+}", manage, asAPI, s.apiRecord)
	s.handle(api, "api.record.add", "POST", "/records/{record:[0-9]+}/documents", manage, asAPI, s.apiAddToRecord)
	s.handle(api, "api.record.remove", "DELETE", "/records/{record:[0-9]+}/documents/{id:[0-9]+}", manage, asAPI, s.apiRemoveFromRecord)
	s.handle(api, "api.record.close", "POST", "/records/{record:[0-9]+}/close", manage, asAPI, s.apiCloseRecord)
	s.handle(api, "api.record.export", "GET", "/records/{record:[0-9]+}/export.zip", manage, asAPI, s.exportRecord)
}

func recordID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(mux.Vars(r)["record"], 10, 64)
	return id
}

// yearParam is the year asked in the query string, this year by default.
func yearParam(r *http.Request) int {
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y >= 2000 && y <= 9999 {
		return y
	}
	return time.Now().Year()
}

// recordsView is the list of a year's records with the form that opens one.
type recordsView struct {
	pageBase
	ShownYear, PrevYear, NextYear int
	Records                       []docs.RecordFolder
}

func (s *Server) recordsPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	year := yearParam(r)
	records, err := s.docs.ListRecords(r.Context(), s.actorOf(r), year)
	if err != nil {
		return docsError(err)
	}
	return s.render(w, http.StatusOK, "records.html", recordsView{pageBase: base, ShownYear: year,
		PrevYear: year - 1, NextYear: year + 1, Records: records})
}

func (s *Server) pageOpenRecord(w http.ResponseWriter, r *http.Request) error {
	year, _ := strconv.Atoi(r.FormValue("year"))
	id, err := s.docs.OpenRecord(r.Context(), s.actorOf(r), docs.RecordInput{Code: r.FormValue("code"), Title: r.FormValue("title"),
		Year: year, Description: r.FormValue("description"), Retention: r.FormValue("retention")})
	return s.afterForm(w, r, err, "/records", "Đã lập hồ sơ.", fmt.Sprintf("/records/%d", id))
}

// recordView is one record, its documents, and documents found to add to it.
type recordView struct {
	pageBase
	*docs.RecordContents
	Rows  []recordRow
	Query string
	Found []*docs.Record
}

// recordRow is a document of a record with its ordinal (số thứ tự) in it.
type recordRow struct {
	Ordinal int
	*docs.Record
}

func (s *Server) recordPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	contents, err := s.docs.OpenedRecord(r.Context(), s.actorOf(r), recordID(r))
	if err != nil {
		return docsError(err)
	}
	view := recordView{pageBase: base, RecordContents: contents, Query: r.URL.Query().Get("q")}
	for i, d := range contents.Items {
		view.Rows = append(view.Rows, recordRow{Ordinal: i + 1, Record: d})
	}
	if view.Query != "" && !contents.Closed() {
		page, err := s.docs.Search(r.Context(), s.actorOf(r), docs.Query{Text: view.Query, Limit: 20})
		if err != nil {
			return docsError(err)
		}
		view.Found = page.Items
	}
	return s.render(w, http.StatusOK, "record.html", view)
}

func recordPath(r *http.Request) string { return fmt.Sprintf("/records/%d", recordID(r)) }

func (s *Server) pageAddToRecord(w http.ResponseWriter, r *http.Request) error {
	docID, _ := strconv.ParseInt(r.FormValue("document_id"), 10, 64)
	err := s.docs.AddToRecord(r.Context(), s.actorOf(r), recordID(r), docID)
	return s.afterForm(w, r, err, recordPath(r), "Đã thêm văn bản vào hồ sơ.", recordPath(r))
}

func (s *Server) pageRemoveFromRecord(w http.ResponseWriter, r *http.Request) error {
	err := s.docs.RemoveFromRecord(r.Context(), s.actorOf(r), recordID(r), documentID(r))
	return s.afterForm(w, r, err, recordPath(r), "Đã bỏ văn bản khỏi hồ sơ.", recordPath(r))
}

func (s *Server) pageCloseRecord(w http.ResponseWriter, r *http.Request) error {
	err := s.docs.CloseRecord(r.Context(), s.actorOf(r), recordID(r))
	return s.afterForm(w, r, err, recordPath(r), "Đã kết thúc hồ sơ; có thể xuất hồ sơ để nộp lưu.", recordPath(r))
}

// exportRecord sends a closed record as a zip package for the archive; a refusal
// comes before the first byte, as a page or a JSON error.
func (s *Server) exportRecord(w http.ResponseWriter, r *http.Request) error {
	pkg, err := s.docs.ExportRecord(r.Context(), s.actorOf(r), recordID(r))
	if err != nil {
		return docsError(err)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": pkg.FileName()}))
	return streamBody(w, r, func(body io.Writer) error { return pkg.Write(r.Context(), body) })
}

// recordJSON is a record in the API.
type recordJSON struct {
	ID          int64      `json:"id"`
	Code        string     `json:"code"`
	Title       string     `json:"title"`
	Year        int        `json:"year"`
	Description string     `json:"description"`
	Retention   string     `json:"retention"`
	CreatedAt   time.Time  `json:"created_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	Documents   int        `json:"documents"`
}

func toRecordJSON(f docs.RecordFolder) recordJSON {
	return recordJSON{ID: f.ID, Code: f.Code, Title: f.Title, Year: f.Year, Description: f.Description, Retention: f.Retention,
		CreatedAt: f.CreatedAt, ClosedAt: f.ClosedAt, Documents: f.Documents}
}

func (s *Server) apiRecords(w http.ResponseWriter, r *http.Request) error {
	records, err := s.docs.ListRecords(r.Context(), s.actorOf(r), yearParam(r))
	if err != nil {
		return docsError(err)
	}
	out := make([]recordJSON, 0, len(records))
	for _, f := range records {
		out = append(out, toRecordJSON(f))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiRecord(w http.ResponseWriter, r *http.Request) error {
	contents, err := s.docs.OpenedRecord(r.Context(), s.actorOf(r), recordID(r))
	if err != nil {
		return docsError(err)
	}
	items := make([]documentOut, 0, len(contents.Items))
	for _, d := range contents.Items {
		items = append(items, toDocumentOut(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"record": toRecordJSON(contents.RecordFolder), "documents": items, "hidden": contents.Hidden})
	return nil
}

func (s *Server) apiAddToRecord(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		DocumentID int64 `json:"document_id"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.docs.AddToRecord(r.Context(), s.actorOf(r), recordID(r), in.DocumentID); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã thêm văn bản vào hồ sơ."})
	return nil
}

func (s *Server) apiRemoveFromRecord(w http.ResponseWriter, r *http.Request) error {
	if err := s.docs.RemoveFromRecord(r.Context(), s.actorOf(r), recordID(r), documentID(r)); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã bỏ văn bản khỏi hồ sơ."})
	return nil
}

func (s *Server) apiCloseRecord(w http.ResponseWriter, r *http.Request) error {
	if err := s.docs.CloseRecord(r.Context(), s.actorOf(r), recordID(r)); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã kết thúc hồ sơ."})
	return nil
}
