package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/notify"
	"edms/internal/org"
)

// routeDocumentPages declares the HTML pages of documents.
func (s *Server) routeDocumentPages(r *mux.Router) {
	s.handle(r, "documents", "GET", "/documents", need(access.DocumentRead), asPage, s.documentsPage)
	s.handle(r, "draft.form", "GET", "/documents/new", need(access.OutgoingDraft), asPage, s.draftForm)
	s.handleUpload(r, "draft.create", "/documents/new", need(access.OutgoingDraft), asPage, uploadBody(s.uploadLimit()), s.draftCreate)
	s.handle(r, "receive.form", "GET", "/documents/receive", need(access.IncomingReceive), asPage, s.receiveForm)
	s.handleUpload(r, "receive.create", "/documents/receive", need(access.IncomingReceive), asPage, uploadBody(s.uploadLimit()), s.receiveCreate)
	s.handleUpload(r, "receive.edxml", "/documents/receive/edxml", need(access.IncomingReceive), asPage, uploadBody(s.uploadLimit()), s.pageReceiveEdxml)
	s.handle(r, "document", "GET", "/documents/{id:[0-9]+}", need(access.DocumentRead), asPage, s.documentPage)
	s.handle(r, "document.edxml", "GET", "/documents/{id:[0-9]+}/edxml", need(access.OutgoingSend), asPage, s.exportEdxml)
	s.handle(r, "document.file", "GET", "/documents/{id:[0-9]+}/files/{file:[0-9]+}", need(access.DocumentRead), asPage, s.downloadFile)
	s.routeDocumentSteps(r, "page.", asPage, s.pageStep)
	s.routeChanges(r, "page.", asPage, s.pageChange)
	s.handle(r, "assignment.handler", "POST", "/assignments/{aid:[0-9]+}/handler", need(access.IncomingAssignUnit), asPage, s.pageAssignHandler)
	s.handle(r, "assignment.progress", "POST", "/assignments/{aid:[0-9]+}/progress", need(access.IncomingHandle), asPage, s.pageProgress)
	s.handle(r, "document.grant", "POST", "/documents/{id:[0-9]+}/grants", need(access.DocumentRead), asPage, s.pageGrant)
	s.handle(r, "document.resend", "POST", resendPath, need(access.OutgoingSend), asPage, s.pageResend)
	s.handle(r, "reminder.dismiss", "POST", "/reminders/{rid:[0-9]+}/dismiss", need(access.HomeView), asPage, s.pageDismissReminder)
	s.handle(r, "statistics", "GET", "/statistics", need(access.ReportRead), asPage, s.statisticsPage)
	s.handle(r, "register", "GET", "/registers/{kind}/{year:[0-9]{4}}.pdf", need(access.RegisterPrint), asPage, s.registerPDF)
}

// pageBase is what every signed-in page shows around its content.
type pageBase struct {
	User       *org.User
	CSRF       string
	AgencyName string
	CanRead    bool // documents: the lists, the internal documents, links to a document
	CanDraft   bool
	CanReceive bool
	CanPrint   bool
	CanSend    bool
	CanReport  bool
	CanRecords bool // hồ sơ: open, fill, close, export
	CanOperate bool // the agency's administrator: the exchange queue
	// CanDelegate: the user holds a permission they may delegate (ủy quyền).
	CanDelegate bool
	Year        int
	Flash       *flash
	Unread      int // unread notifications (notifications.go)
}

func (s *Server) base(w http.ResponseWriter, r *http.Request) (pageBase, error) {
	p := principalOf(r)
	agency, err := org.AgencyByID(r.Context(), s.pool, p.AgencyID)
	if err != nil {
		return pageBase{}, err
	}
	unread, err := notify.Unread(r.Context(), s.pool, p.User.ID)
	if err != nil {
		return pageBase{}, err
	}
	return pageBase{User: p.User, CSRF: p.CSRFToken, AgencyName: agency.Name, Unread: unread,
		CanRead: s.can(r, access.DocumentRead), CanDraft: s.can(r, access.OutgoingDraft), CanReceive: s.can(r, access.IncomingReceive),
		CanPrint: s.can(r, access.RegisterPrint), CanSend: s.can(r, access.OutgoingSend),
		CanReport: s.can(r, access.ReportRead), CanRecords: s.can(r, access.RecordManage), CanOperate: s.can(r, access.OrgManage),
		CanDelegate: s.can(r, access.OutgoingSign) || s.can(r, access.IncomingAssign), Year: time.Now().Year(), Flash: takeFlash(w, r)}, nil
}

// flash is a one-time message shown on the next page after a form post.
type flash struct {
	Error   bool
	Message string
}

const flashCookie = "edms_flash"

func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, isError bool, message string) {
	kind := "ok"
	if isError {
		kind = "error"
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: kind + ":" + url.QueryEscape(message), Path: "/",
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

func takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	kind, raw, _ := strings.Cut(c.Value, ":")
	msg, err := url.QueryUnescape(raw)
	if err != nil {
		return nil
	}
	return &flash{Error: kind == "error", Message: msg}
}

// formView is a document form page with the choices it offers and, when it comes
// back with an error, what was typed and what is wrong.
type formView struct {
	pageBase
	Types      []docs.DocType
	Agencies   []org.TreeEntry
	RequestKey string
	Urgencies  []urgencyOption
	Form       formValues
	Errors     fieldErrors
	Editing    bool  // the edit form of a draft: only what a draft may change
	DocumentID int64 // the draft edited
}

func (s *Server) formView(w http.ResponseWriter, r *http.Request) (formView, error) {
	base, err := s.base(w, r)
	if err != nil {
		return formView{}, err
	}
	tree, err := org.AgencyTree(r.Context(), s.pool)
	if err != nil {
		return formView{}, err
	}
	return formView{pageBase: base, Types: docs.Types, Agencies: tree, Urgencies: urgencies,
		RequestKey: strconv.FormatInt(time.Now().UnixNano(), 36)}, nil
}

func (s *Server) draftForm(w http.ResponseWriter, r *http.Request) error {
	view, err := s.formView(w, r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "draft.html", view)
}

func (s *Server) receiveForm(w http.ResponseWriter, r *http.Request) error {
	view, err := s.formView(w, r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "receive.html", view)
}

// formDocument reads the metadata fields shared by the draft and receive forms.
func formDocument(r *http.Request) documentIn {
	pages, _ := strconv.Atoi(r.FormValue("page_count"))
	return documentIn{Type: docs.TypeCode(r.FormValue("type")), Subject: r.FormValue("subject"), Content: r.FormValue("content"),
		Place: r.FormValue("place"), Urgency: docs.Urgency(r.FormValue("urgency")), Secrecy: docs.Secrecy(r.FormValue("secrecy")),
		PageCount: pages, DueDate: r.FormValue("due_date"), Recipients: r.Form["recipients"], RequestKey: r.FormValue("request_key"),
		CodeNumber: r.FormValue("code_number"), CodeNotation: r.FormValue("code_notation"), IssuedDate: r.FormValue("issued_date"),
		IssuerOrganID: r.FormValue("issuer_organ_id"), IssuerName: r.FormValue("issuer_name"), Paper: r.FormValue("paper") == "1",
		Signer: signerJSON{Position: r.FormValue("signer_position"), FullName: r.FormValue("signer_name")}}
}

// afterForm redirects to target with a message, or back to the form with the error.
func (s *Server) afterForm(w http.ResponseWriter, r *http.Request, err error, back, okMessage string, target string) error {
	if err != nil {
		api, ok := docsError(err).(*apiError)
		if !ok || api.Status >= 500 {
			return err
		}
		if api.Status == http.StatusNotFound {
			return api // a document one cannot see is not found, on pages too
		}
		s.setFlash(w, r, true, api.Message)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	s.setFlash(w, r, false, okMessage)
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (s *Server) draftCreate(w http.ResponseWriter, r *http.Request) error {
	file, closer, ok, err := formFile(r, "file")
	if err != nil {
		return s.afterForm(w, r, err, "/documents/new", "", "")
	}
	var upload *docs.FileInput
	if ok {
		defer closer.Close()
		upload = &file
	}
	id, err := s.createDraft(r, formDocument(r), upload)
	if err != nil {
		return s.formAgain(w, r, err, "draft.html", ok)
	}
	s.setFlash(w, r, false, "Đã lưu dự thảo.")
	http.Redirect(w, r, fmt.Sprintf("/documents/%d", id), http.StatusSeeOther)
	return nil
}

// formAgain shows a document form again after an error the user can correct, with
// what they typed and the message next to the field at fault; a browser never keeps
// a chosen file, so one chosen is asked for again.
func (s *Server) formAgain(w http.ResponseWriter, r *http.Request, err error, page string, hadFile bool) error {
	problems, err := formProblems(err)
	if err != nil {
		return err
	}
	view, err := s.formView(w, r)
	if err != nil {
		return err
	}
	if hadFile {
		problems["file"] = strings.TrimSpace(problems["file"] + " Hãy chọn lại tệp.")
	}
	view.Form, view.Errors, view.RequestKey = formValues(r.Form), problems, r.FormValue("request_key")
	return s.render(w, http.StatusUnprocessableEntity, page, view)
}

func (s *Server) receiveCreate(w http.ResponseWriter, r *http.Request) error {
	receipt, err := s.receive(r, formDocument(r))
	if err != nil {
		return s.formAgain(w, r, err, "receive.html", r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0)
	}
	message := "Đã tiếp nhận văn bản đến."
	for _, d := range receipt.Duplicates {
		message += " Cảnh báo trùng: " + d.Reason
	}
	s.setFlash(w, r, false, message)
	http.Redirect(w, r, fmt.Sprintf("/documents/%d", receipt.DocumentID), http.StatusSeeOther)
	return nil
}

// documentView is the detail page.
type documentView struct {
	pageBase
	*documentDetail
	Members    []memberView
	Records    []docs.RecordFolder
	Today      string
	Signatures signatureCheck
	Viewer     viewerData
	ViewerUnit int64
	CanLead    bool            // may name handlers of assignments to the viewer's unit
	CanGrant   bool            // may grant a secret document to someone
	CanUpdate  bool            // may correct a sent document (cập nhật)
	CanAnswer  bool            // may accept or refuse the sender's pending change
	CanRevise  bool            // may edit the draft and upload a new version
	CanDelete  bool            // may delete the draft (never issued)
	Versions   []docs.Version  // the main file's versions, newest first
	Agencies   []org.TreeEntry // recipients an update may add
	Urgencies  []urgencyOption
	Assign     *assignPanel // hand-overs of an incoming document
	// Signing is the choice of key when the page offers signing (personal_sign.go).
	Signing *personalSignPanel
}

// urgencyOption is a choice of độ khẩn in a form.
type urgencyOption struct {
	Value docs.Urgency
	Label string
}

var urgencies = []urgencyOption{{docs.UrgencyNormal, "Thường"}, {docs.UrgencyKhan, "Khẩn"},
	{docs.UrgencyThuongKhan, "Thượng khẩn"}, {docs.UrgencyHoaToc, "Hỏa tốc"}}

// actionForm is the data of one step's form.
type actionForm struct {
	Doc     *docs.Record
	Action  docs.ActionInfo
	CSRF    string
	Records []docs.RecordFolder
	Today   string
	Assign  *assignPanel
}

// ActionForm gives the template of a step what its form needs.
func (v documentView) ActionForm(a docs.ActionInfo) actionForm {
	return actionForm{Doc: v.Record, Action: a, CSRF: v.CSRF, Records: v.Records, Today: v.Today, Assign: v.Assign}
}

// assignmentForms is the data of the forms on one assignment row.
type assignmentForms struct {
	Assignment       docs.Assignment
	CSRF             string
	DocID            int64
	CanAssignHandler bool
	IsHandler        bool
	UnitMembers      []memberView
}

// AssignmentForms offers the unit head the choice of a handler and the handler the
// progress form.
func (v documentView) AssignmentForms(a docs.Assignment) assignmentForms {
	f := assignmentForms{Assignment: a, CSRF: v.CSRF, DocID: v.Record.ID,
		IsHandler: a.Role != docs.RoleInformation && (a.UserID == v.User.ID || a.HandlerID == v.User.ID)}
	if v.CanLead && a.UnitID != 0 && a.UnitID == v.ViewerUnit && a.Role != docs.RoleInformation {
		for _, m := range v.Members {
			if m.UnitID == a.UnitID {
				f.UnitMembers = append(f.UnitMembers, m)
			}
		}
		f.CanAssignHandler = len(f.UnitMembers) > 0
	}
	return f
}

type memberView struct {
	ID       int64
	Name     string
	UnitID   int64
	Position string
}

func (s *Server) documentPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	detail, err := s.loadDetail(r, documentID(r))
	if err != nil {
		return err
	}
	members, err := s.members(r, detail.Record.AgencyID)
	if err != nil {
		return err
	}
	records, err := docs.Records(r.Context(), s.pool, detail.Record.AgencyID, time.Now().Year())
	if err != nil {
		return err
	}
	view := documentView{pageBase: base, documentDetail: detail, Members: members, Records: records,
		Today: time.Now().Format("2006-01-02"), CanLead: s.can(r, access.IncomingAssignUnit),
		Signatures: s.checkSignatures(r.Context(), detail.Files), CanGrant: detail.Record.Secrecy.Secret() &&
			(detail.Record.CreatedBy == base.User.ID || s.can(r, access.SecretRead)),
		CanUpdate: detail.Record.OutgoingState == docs.OutSent && s.can(r, access.OutgoingSend),
		CanAnswer: detail.PendingChange != nil && s.can(r, access.IncomingReceive)}
	if detail.Record.Direction == docs.Outgoing {
		view.CanRevise, view.CanDelete = s.docs.DraftRights(r.Context(), s.actorOf(r), detail.Record)
		if view.Versions, err = docs.Versions(r.Context(), s.pool, detail.Record.ID); err != nil {
			return err
		}
	}
	if view.CanUpdate {
		if view.Agencies, err = org.AgencyTree(r.Context(), s.pool); err != nil {
			return err
		}
		view.Urgencies = urgencies
	}
	for _, m := range members {
		if m.ID == base.User.ID {
			view.ViewerUnit = m.UnitID
		}
	}
	if view.Assign, err = s.assignPanelOf(r, detail, base.CSRF, view.ViewerUnit); err != nil {
		return err
	}
	if view.Viewer, err = s.viewerFor(r, detail); err != nil {
		return err
	}
	if view.Signing, err = s.personalSignPanel(r, detail, base.CSRF); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "document.html", view)
}

func (s *Server) members(r *http.Request, agencyID int64) ([]memberView, error) {
	rows, err := s.pool.Query(r.Context(), `SELECT u.id, u.full_name, coalesce(m.unit_id, 0), m.position
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.agency_id = $1 AND u.disabled_at IS NULL ORDER BY u.full_name`, agencyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []memberView
	for rows.Next() {
		var m memberView
		if err := rows.Scan(&m.ID, &m.Name, &m.UnitID, &m.Position); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// formAction reads a step's fields from a form, the assignment's lines included.
func formAction(r *http.Request) actionInput {
	in := actionInput{Note: r.FormValue("note"), Competence: r.FormValue("competence"), Position: r.FormValue("position")}
	in.RecordID, _ = strconv.ParseInt(r.FormValue("record_id"), 10, 64)
	in.ReplyID, _ = strconv.ParseInt(r.FormValue("reply_id"), 10, 64)
	in.Assignments = assignmentForm(r)
	return in
}

// pageStep runs a lifecycle step from a form and returns to the document.
func (s *Server) pageStep(dir docs.Direction, action string) handlerFunc {
	step := lifecycleSteps[dir][action]
	return func(w http.ResponseWriter, r *http.Request) error {
		back := fmt.Sprintf("/documents/%d", documentID(r))
		message, err := step(r.Context(), s, s.actorOf(r), documentID(r), formAction(r))
		return s.afterForm(w, r, err, back, message, back)
	}
}

func (s *Server) pageAssignHandler(w http.ResponseWriter, r *http.Request) error {
	handler, _ := strconv.ParseInt(r.FormValue("user_id"), 10, 64)
	err := s.docs.AssignHandler(r.Context(), s.actorOf(r), assignmentID(r), handler)
	back := "/documents/" + r.FormValue("document_id")
	return s.afterForm(w, r, err, back, "Đã giao người xử lý.", back)
}

func (s *Server) pageGrant(w http.ResponseWriter, r *http.Request) error {
	userID, _ := strconv.ParseInt(r.FormValue("user_id"), 10, 64)
	err := s.docs.Grant(r.Context(), s.actorOf(r), documentID(r), userID)
	back := fmt.Sprintf("/documents/%d", documentID(r))
	return s.afterForm(w, r, err, back, "Đã cấp quyền xem văn bản mật.", back)
}

func (s *Server) pageResend(w http.ResponseWriter, r *http.Request) error {
	err := s.docs.Resend(r.Context(), s.actorOf(r), documentID(r), mux.Vars(r)["organ"])
	back := fmt.Sprintf("/documents/%d", documentID(r))
	return s.afterForm(w, r, err, back, "Đã đưa văn bản vào hàng đợi để gửi lại.", back)
}

func (s *Server) pageProgress(w http.ResponseWriter, r *http.Request) error {
	percent, err := strconv.Atoi(r.FormValue("percent"))
	if err != nil {
		percent = -1 // refused by the service with its own message
	}
	err = s.docs.ReportProgress(r.Context(), s.actorOf(r), assignmentID(r), percent, r.FormValue("note"))
	back := "/documents/" + r.FormValue("document_id")
	return s.afterForm(w, r, err, back, "Đã cập nhật tiến độ.", back)
}
