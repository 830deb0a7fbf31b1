package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/org"
)

// routeDocumentsAPI declares the JSON API of documents.
func (s *Server) routeDocumentsAPI(api *mux.Router) {
	s.handle(api, "api.types", "GET", "/document-types", need(access.HomeView), asAPI, s.apiTypes)
	s.handle(api, "api.documents", "GET", "/documents", need(access.DocumentRead), asAPI, s.apiSearch)
	s.handle(api, "api.inbox", "GET", "/inbox", need(access.DocumentRead), asAPI, s.apiInbox)
	s.handle(api, "api.document", "GET", "/documents/{id:[0-9]+}", need(access.DocumentRead), asAPI, s.apiDocument)
	s.handle(api, "api.document.file", "GET", "/documents/{id:[0-9]+}/files/{file:[0-9]+}", need(access.DocumentRead), asAPI, s.downloadFile)
	stream := streamedUpload(s.uploadLimit())
	s.handleUpload(api, "api.drafts.create", "/documents", need(access.OutgoingDraft), asAPI, stream, s.apiCreateDraft)
	s.handleUpload(api, "api.drafts.version", "/documents/{id:[0-9]+}/versions", need(access.OutgoingDraft), asAPI, stream, s.apiAddFile((*docs.Service).AddVersion))
	s.handleUpload(api, "api.drafts.attachment", "/documents/{id:[0-9]+}/attachments", need(access.OutgoingDraft), asAPI, stream, s.apiAddFile((*docs.Service).AddAttachment))
	// docs.Receive takes the main file and all attachments at once: parsed, not streamed.
	s.handleUpload(api, "api.incoming.receive", "/incoming", need(access.IncomingReceive), asAPI, uploadBody(s.uploadLimit()), s.apiReceive)
	s.handleUpload(api, "api.incoming.edxml", "/incoming/edxml", need(access.IncomingReceive), asAPI, rawBody(s.uploadLimit()), s.apiReceiveEdxml)
	s.handle(api, "api.document.edxml", "GET", "/documents/{id:[0-9]+}/edxml", need(access.OutgoingSend), asAPI, s.exportEdxml)
	s.routeDocumentSteps(api, "api.", asAPI, s.apiStep)
	s.routeChanges(api, "api.", asAPI, s.apiChange)
	s.handle(api, "api.assignment.handler", "POST", "/assignments/{aid:[0-9]+}/handler", need(access.IncomingAssignUnit), asAPI, s.apiAssignHandler)
	s.handle(api, "api.assignment.progress", "POST", "/assignments/{aid:[0-9]+}/progress", need(access.IncomingHandle), asAPI, s.apiProgress)
	s.handle(api, "api.document.grant", "POST", "/documents/{id:[0-9]+}/grants", need(access.DocumentRead), asAPI, s.apiGrant)
	s.handle(api, "api.document.resend", "POST", resendPath, need(access.OutgoingSend), asAPI, s.apiResend)
	s.handle(api, "api.records.create", "POST", "/records", need(access.RecordManage), asAPI, s.apiCreateRecord)
	s.handle(api, "api.reminders", "GET", "/reminders", need(access.HomeView), asAPI, s.apiReminders)
	s.handle(api, "api.reminders.dismiss", "POST", "/reminders/{rid:[0-9]+}/dismiss", need(access.HomeView), asAPI, s.apiDismissReminder)
	s.handle(api, "api.deadlines", "GET", "/deadlines", need(access.DocumentRead), asAPI, s.apiDeadlines)
	s.handle(api, "api.statistics", "GET", "/statistics", need(access.ReportRead), asAPI, s.apiStatistics)
	s.handle(api, "api.register", "GET", "/registers/{kind}/{year:[0-9]{4}}.pdf", need(access.RegisterPrint), asAPI, s.registerPDF)
}

func (s *Server) apiTypes(w http.ResponseWriter, _ *http.Request) error {
	type typeJSON struct {
		Code         docs.TypeCode `json:"code"`
		Name         string        `json:"name"`
		Abbreviation string        `json:"abbreviation"`
	}
	out := make([]typeJSON, 0, len(docs.Types))
	for _, t := range docs.Types {
		out = append(out, typeJSON{t.Code, t.Name, t.Abbreviation})
	}
	writeJSON(w, http.StatusOK, map[string]any{"types": out})
	return nil
}

// queryFromRequest reads search filters from the URL query.
func queryFromRequest(r *http.Request) (docs.Query, error) {
	v := r.URL.Query()
	q := docs.Query{Text: v.Get("q"), Direction: docs.Direction(v.Get("direction")), States: v["state"], After: v.Get("after")}
	for _, t := range v["type"] {
		q.Types = append(q.Types, docs.TypeCode(t))
	}
	var err error
	if q.From, err = parseDate("from", v.Get("from")); err != nil {
		return q, err
	}
	if q.To, err = parseDate("to", v.Get("to")); err != nil {
		return q, err
	}
	for name, dst := range map[string]*int64{"unit": &q.UnitID, "assignee": &q.AssigneeID} {
		if raw := v.Get(name); raw != "" {
			if *dst, err = strconv.ParseInt(raw, 10, 64); err != nil {
				return q, badRequest("query_invalid", "Tham số "+name+" phải là số.")
			}
		}
	}
	if raw := v.Get("limit"); raw != "" {
		if q.Limit, err = strconv.Atoi(raw); err != nil {
			return q, badRequest("query_invalid", "Tham số limit phải là số.")
		}
	}
	readFindFilters(v, &q)
	return q, nil
}

func writePage(w http.ResponseWriter, page docs.Page) {
	items := make([]documentOut, 0, len(page.Items))
	for _, r := range page.Items {
		items = append(items, toDocumentOut(r))
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": items, "next": page.Next})
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) error {
	q, err := queryFromRequest(r)
	if err != nil {
		return err
	}
	page, err := s.docs.Search(r.Context(), s.actorOf(r), q)
	if err != nil {
		return docsError(err)
	}
	writePage(w, page)
	return nil
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := s.docs.Inbox(r.Context(), s.actorOf(r), r.URL.Query().Get("after"), limit)
	if err != nil {
		return docsError(err)
	}
	writePage(w, page)
	return nil
}

func (s *Server) apiDocument(w http.ResponseWriter, r *http.Request) error {
	detail, err := s.loadDetail(r, documentID(r))
	if err != nil {
		return err
	}
	body := detail.JSON()
	if check := s.checkSignatures(r.Context(), detail.Files); check.Checked {
		body["signatures"] = check.Report
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// downloadFile streams a file of a document the principal may see.
func (s *Server) downloadFile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := documentID(r)
	if _, err := s.docs.Get(ctx, s.actorOf(r), id); err != nil {
		return docsError(err)
	}
	fileID, _ := strconv.ParseInt(mux.Vars(r)["file"], 10, 64)
	files, err := docs.Files(ctx, s.pool, id)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.ID == fileID {
			w.Header().Set("Content-Type", f.MediaType)
			w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
			disposition := "attachment"
			if r.URL.Query().Get("inline") == "1" && f.MediaType == docs.MediaPDF { // opened in the browser's viewer
				disposition = "inline"
			}
			w.Header().Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
			return streamBody(w, r, func(body io.Writer) error {
				_, err := docs.CopyBlob(ctx, s.pool, f.BlobID, body)
				return err
			})
		}
	}
	return errNotFound
}

// uploadLimit bounds a multipart request: the file size limit plus room for the form.
func (s *Server) uploadLimit() int64 {
	limit := s.docs.MaxFileSize
	if limit == 0 {
		limit = docs.DefaultMaxFileSize
	}
	return limit + 1<<20
}

// formFile opens an uploaded file; ok is false when the field is empty.
func formFile(r *http.Request, field string) (docs.FileInput, io.Closer, bool, error) {
	f, h, err := r.FormFile(field)
	if err == http.ErrMissingFile {
		return docs.FileInput{}, nil, false, nil
	}
	if err != nil {
		return docs.FileInput{}, nil, false, badRequest("file_invalid", "Không đọc được tệp tải lên ("+field+").")
	}
	return fileInput(h.Filename, h.Header, f), f, true, nil
}

// fileInput describes an uploaded file: its media type from the part's header, or
// from the name's extension when the client sent none.
func fileInput(name string, header textproto.MIMEHeader, content io.Reader) docs.FileInput {
	media := header.Get("Content-Type")
	if media == "" || media == "application/octet-stream" {
		media = mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	}
	if mt, _, err := mime.ParseMediaType(media); err == nil {
		media = mt
	}
	return docs.FileInput{Name: filepath.Base(name), MediaType: media, Content: content}
}

// metadataField decodes the JSON metadata sent in the "document" form field.
func metadataField(value string) (documentIn, error) {
	var in documentIn
	err := decodeStrict([]byte(value), &in, "document_invalid", "Trường document phải là JSON mô tả văn bản: ")
	return in, err
}

func (s *Server) apiCreateDraft(w http.ResponseWriter, r *http.Request) error {
	form, err := readStreamed(r, "file")
	if err != nil {
		return err
	}
	if form.fields.Get("document") == "" {
		return badRequest("document_missing", "Thiếu trường document (JSON mô tả văn bản), hoặc trường này gửi sau tệp: gửi document trước tệp.")
	}
	in, err := metadataField(form.fields.Get("document"))
	if err != nil {
		return err
	}
	id, err := s.createDraft(r, in, form.file)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
	return nil
}

// createDraft creates a draft from parsed metadata and the uploaded file, or from the
// typed content laid out on the form when there is no file.
func (s *Server) createDraft(r *http.Request, in documentIn, upload *docs.FileInput) (int64, error) {
	ctx := r.Context()
	d, err := in.toDocument(ctx, s)
	if err != nil {
		return 0, err
	}
	var file docs.FileInput
	if upload != nil {
		file = *upload
	} else if file, err = s.composeDraft(r, d); err != nil {
		return 0, err
	}
	id, err := s.docs.CreateDraft(ctx, s.actorOf(r), docs.DraftInput{Document: d, File: file, RequestKey: in.RequestKey,
		ReplacesID: in.ReplacesID, Composed: upload == nil})
	return id, err // the docs error itself: a form names the field at fault
}

// maxTypedContent bounds the content typed into the draft form: some fifty pages,
// beyond any administrative document typed in a form, laid out in a few tenths of a
// second (BenchmarkComposeLongestTypedContent; 16 MB took 5.6 s and 300 MB).
const maxTypedContent = 128 << 10

var errContentTooLong = &apiError{http.StatusRequestEntityTooLarge, "content_too_long",
	fmt.Sprintf("Nội dung nhập trực tiếp dài quá %d KiB; với văn bản dài, hãy tải lên tệp PDF hoặc DOCX.", maxTypedContent>>10)}

// composeDraft lays the typed content out on the document form when no file was
// uploaded.
func (s *Server) composeDraft(r *http.Request, d docs.Document) (docs.FileInput, error) {
	if strings.TrimSpace(d.Content) == "" {
		return docs.FileInput{}, badRequest("file_missing", "Chưa có nội dung: tải lên tệp dự thảo (PDF hoặc DOCX) hoặc nhập nội dung văn bản.")
	}
	if len(d.Content) > maxTypedContent {
		return docs.FileInput{}, errContentTooLong
	}
	t, ok := docs.LookupType(d.Type)
	if !ok {
		return docs.FileInput{}, badRequest("invalid", "Loại văn bản không hợp lệ.")
	}
	agency, err := org.AgencyByID(r.Context(), s.pool, principalOf(r).AgencyID)
	if err != nil {
		return docs.FileInput{}, err
	}
	places := d.ToPlaces
	for _, rc := range d.Recipients {
		places = append(places, rc.Name)
	}
	pdf, err := docs.ComposePDF(docs.ComposeInput{IssuerName: agency.Name, Type: t, Subject: d.Subject, Body: d.Content, ToPlaces: places})
	if err != nil {
		return docs.FileInput{}, err
	}
	return docs.FileInput{Name: "du-thao.pdf", MediaType: docs.MediaPDF, Content: bytes.NewReader(pdf)}, nil
}

func (s *Server) apiAddFile(add func(*docs.Service, context.Context, docs.Actor, int64, docs.FileInput, string) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		form, err := readStreamed(r, "file")
		if err != nil {
			return err
		}
		if form.file == nil {
			return badRequest("file_missing", "Chưa chọn tệp.")
		}
		if err := add(s.docs, r.Context(), s.actorOf(r), documentID(r), *form.file, form.fields.Get("note")); err != nil {
			return docsError(err)
		}
		writeJSON(w, http.StatusCreated, map[string]any{"id": documentID(r)})
		return nil
	}
}

func (s *Server) apiReceive(w http.ResponseWriter, r *http.Request) error {
	in, err := metadataField(r.FormValue("document"))
	if err != nil {
		return err
	}
	receipt, err := s.receive(r, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": receipt.DocumentID, "duplicates": receipt.Duplicates})
	return nil
}

// receive records an incoming document from parsed metadata, the "file" upload and
// any "attachment" uploads.
func (s *Server) receive(r *http.Request, in documentIn) (docs.Receipt, error) {
	ctx := r.Context()
	d, err := in.toDocument(ctx, s)
	if err != nil {
		return docs.Receipt{}, err
	}
	main, closer, ok, err := formFile(r, "file")
	if err != nil {
		return docs.Receipt{}, err
	}
	if ok {
		defer closer.Close()
	}
	input := docs.ReceiveInput{Document: d, Main: main, RequestKey: in.RequestKey}
	for _, h := range r.MultipartForm.File["attachment"] {
		f, err := h.Open()
		if err != nil {
			return docs.Receipt{}, badRequest("file_invalid", "Không đọc được tệp đính kèm "+h.Filename+".")
		}
		defer f.Close()
		input.Attachments = append(input.Attachments, fileInput(h.Filename, h.Header, f))
	}
	receipt, err := s.docs.Receive(ctx, s.actorOf(r), input)
	return receipt, docsError(err)
}

// apiStep runs a lifecycle step with a JSON body (which may be empty).
func (s *Server) apiStep(dir docs.Direction, action string) handlerFunc {
	step := lifecycleSteps[dir][action]
	return func(w http.ResponseWriter, r *http.Request) error {
		var in actionInput
		if r.ContentLength != 0 {
			if err := decodeJSON(w, r, &in); err != nil {
				return err
			}
		}
		message, err := step(r.Context(), s, s.actorOf(r), documentID(r), in)
		if err != nil {
			return docsError(err)
		}
		detail, err := s.loadDetail(r, documentID(r))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"message": message, "document": detail.JSON()})
		return nil
	}
}

func assignmentID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(mux.Vars(r)["aid"], 10, 64)
	return id
}

func (s *Server) apiAssignHandler(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.docs.AssignHandler(r.Context(), s.actorOf(r), assignmentID(r), in.UserID); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã giao người xử lý."})
	return nil
}

func (s *Server) apiProgress(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Percent int    `json:"percent"`
		Note    string `json:"note"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.docs.ReportProgress(r.Context(), s.actorOf(r), assignmentID(r), in.Percent, in.Note); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã cập nhật tiến độ."})
	return nil
}

func (s *Server) apiGrant(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.docs.Grant(r.Context(), s.actorOf(r), documentID(r), in.UserID); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã cấp quyền xem văn bản."})
	return nil
}

// resendPath is the clerk's "Gửi lại" for a recipient whose delivery failed, named by
// its OrganId.
const resendPath = "/documents/{id:[0-9]+}/recipients/{organ:[0-9A-Za-z.-]+}/resend"

func (s *Server) apiResend(w http.ResponseWriter, r *http.Request) error {
	if err := s.docs.Resend(r.Context(), s.actorOf(r), documentID(r), mux.Vars(r)["organ"]); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"message": "Đã đưa văn bản vào hàng đợi để gửi lại."})
	return nil
}

func (s *Server) apiCreateRecord(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code  string `json:"code"`
		Title string `json:"title"`
		Year  int    `json:"year"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Year == 0 {
		in.Year = time.Now().Year()
	}
	id, err := s.docs.CreateRecord(r.Context(), s.actorOf(r), in.Code, in.Title, in.Year)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
	return nil
}

func (s *Server) apiDeadlines(w http.ResponseWriter, r *http.Request) error {
	within := 3
	if raw := r.URL.Query().Get("within"); raw != "" {
		var err error
		if within, err = strconv.Atoi(raw); err != nil || within < 0 {
			return badRequest("query_invalid", "Tham số within là số ngày (không âm).")
		}
	}
	items, err := s.docs.Deadlines(r.Context(), s.actorOf(r), within)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadlines": items})
	return nil
}

func (s *Server) apiStatistics(w http.ResponseWriter, r *http.Request) error {
	now := time.Now()
	from, to := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC), now
	q := r.URL.Query()
	if d, err := parseDate("from", q.Get("from")); err != nil {
		return err
	} else if d != nil {
		from = *d
	}
	if d, err := parseDate("to", q.Get("to")); err != nil {
		return err
	} else if d != nil {
		to = *d
	}
	stats, err := s.docs.Statistics(r.Context(), s.actorOf(r), from, to)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, stats)
	return nil
}

// registerPDF prints a register of the current agency for a year.
func (s *Server) registerPDF(w http.ResponseWriter, r *http.Request) error {
	year, _ := strconv.Atoi(mux.Vars(r)["year"])
	kind := docs.RegisterKind(mux.Vars(r)["kind"])
	reg, err := s.docs.LoadRegister(r.Context(), s.actorOf(r), kind, year)
	if err != nil {
		return docsError(err)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=\"so-%s-%d.pdf\"", kind, year))
	return streamBody(w, r, func(body io.Writer) error { return reg.WritePDF(body, time.Now()) })
}
