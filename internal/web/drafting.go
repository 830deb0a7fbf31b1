package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
)

// routeDrafting declares the pages of the drafting loop: edit a draft, upload a new
// version, delete a draft never issued.
func (s *Server) routeDrafting(r *mux.Router) {
	s.handle(r, "draft.edit.form", "GET", "/documents/{id:[0-9]+}/edit", need(access.DocumentRead), asPage, s.draftEditForm)
	s.handle(r, "draft.edit", "POST", "/documents/{id:[0-9]+}/edit", need(access.DocumentRead), asPage, s.draftEdit)
	s.handleUpload(r, "draft.version", "/documents/{id:[0-9]+}/versions", need(access.DocumentRead), asPage, uploadBody(s.uploadLimit()), s.pageAddVersion)
	s.handle(r, "draft.delete", "POST", "/documents/{id:[0-9]+}/delete", need(access.DocumentRead), asPage, s.pageDeleteDraft)
}

// routeDraftingAPI declares the same operations in the JSON API.
func (s *Server) routeDraftingAPI(api *mux.Router) {
	s.handle(api, "api.drafts.versions", "GET", "/documents/{id:[0-9]+}/versions", need(access.DocumentRead), asAPI, s.apiVersions)
	s.handle(api, "api.drafts.edit", "POST", "/documents/{id:[0-9]+}/metadata", need(access.DocumentRead), asAPI, s.apiEditDraft)
	s.handle(api, "api.drafts.delete", "POST", "/documents/{id:[0-9]+}/delete", need(access.DocumentRead), asAPI, s.apiDeleteDraft)
}

// draftEditIn is the metadata of a draft its drafter corrects.
type draftEditIn struct {
	Type       docs.TypeCode `json:"type"`
	Subject    string        `json:"subject"`
	Place      string        `json:"place"`
	Urgency    docs.Urgency  `json:"urgency"`
	DueDate    string        `json:"due_date"`   // yyyy-mm-dd
	Recipients []string      `json:"recipients"` // organ_ids
	// Content is the typed content of a draft composed from it: the draft is laid
	// out again as a new version.
	Content string `json:"content"`
}

// editDraft corrects a draft's metadata; a draft with typed content is laid out
// again from it, as a new version.
func (s *Server) editDraft(r *http.Request, in draftEditIn) error {
	ctx := r.Context()
	d, err := documentIn{Type: in.Type, Subject: in.Subject, Place: in.Place, Urgency: in.Urgency, DueDate: in.DueDate,
		Recipients: in.Recipients, Content: in.Content}.toDocument(ctx, s)
	if err != nil {
		return err
	}
	if len(d.Content) > maxTypedContent {
		return errContentTooLong
	}
	err = s.docs.EditDraft(ctx, s.actorOf(r), documentID(r), docs.DraftEdit{Type: d.Type, Subject: d.Subject,
		Place: d.Place, Urgency: d.Urgency, DueDate: d.DueDate, Recipients: d.Recipients, Content: d.Content})
	if err != nil || strings.TrimSpace(d.Content) == "" {
		return err // the docs error itself: the form names the field at fault
	}
	file, err := s.composeDraft(r, d)
	if err != nil {
		return err
	}
	return s.docs.AddVersion(ctx, s.actorOf(r), documentID(r), file, docs.ComposedNote)
}

// revisable loads a draft the principal may revise, or refuses.
func (s *Server) revisable(ctx context.Context, r *http.Request) (*docs.Record, error) {
	d, err := s.docs.Get(ctx, s.actorOf(r), documentID(r))
	if err != nil {
		return nil, docsError(err)
	}
	if revise, _ := s.docs.DraftRights(ctx, s.actorOf(r), d); !revise {
		return nil, &apiError{http.StatusForbidden, "forbidden", "Chỉ người soạn thảo (khi dự thảo hoặc bị trả lại) hoặc lãnh đạo đơn vị (khi đang duyệt) được sửa dự thảo."}
	}
	return d, nil
}

func (s *Server) draftEditForm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.revisable(r.Context(), r)
	if err != nil {
		return err
	}
	view, err := s.formView(w, r)
	if err != nil {
		return err
	}
	recipients, err := docs.Recipients(r.Context(), s.pool, d.ID)
	if err != nil {
		return err
	}
	form := url.Values{"type": {string(d.Type)}, "subject": {d.Subject}, "place": {d.Place}, "urgency": {string(d.Urgency)},
		"content": {d.Content}}
	if d.DueDate != nil {
		form.Set("due_date", d.DueDate.Format(time.DateOnly))
	}
	for _, rc := range recipients {
		form.Add("recipients", rc.OrganID)
	}
	view.Form, view.Editing, view.DocumentID = formValues(form), true, d.ID
	return s.render(w, http.StatusOK, "draft_edit.html", view)
}

func (s *Server) draftEdit(w http.ResponseWriter, r *http.Request) error {
	err := s.editDraft(r, draftEditIn{Type: docs.TypeCode(r.FormValue("type")), Subject: r.FormValue("subject"),
		Place: r.FormValue("place"), Urgency: docs.Urgency(r.FormValue("urgency")), DueDate: r.FormValue("due_date"),
		Recipients: r.Form["recipients"], Content: r.FormValue("content")})
	if err != nil {
		problems, err := formProblems(err)
		if err != nil {
			return err
		}
		view, err := s.formView(w, r)
		if err != nil {
			return err
		}
		view.Form, view.Errors, view.Editing, view.DocumentID = formValues(r.Form), problems, true, documentID(r)
		return s.render(w, http.StatusUnprocessableEntity, "draft_edit.html", view)
	}
	s.setFlash(w, r, false, "Đã lưu thông tin dự thảo.")
	http.Redirect(w, r, fmt.Sprintf("/documents/%d", documentID(r)), http.StatusSeeOther)
	return nil
}

func (s *Server) pageAddVersion(w http.ResponseWriter, r *http.Request) error {
	back := fmt.Sprintf("/documents/%d", documentID(r))
	file, closer, ok, err := formFile(r, "file")
	if err == nil && !ok {
		err = badRequest("file_missing", "Chưa chọn tệp phiên bản mới.")
	}
	if err == nil {
		defer closer.Close()
		err = s.docs.AddVersion(r.Context(), s.actorOf(r), documentID(r), file, r.FormValue("note"))
	}
	return s.afterForm(w, r, err, back, "Đã lưu phiên bản mới.", back)
}

func (s *Server) pageDeleteDraft(w http.ResponseWriter, r *http.Request) error {
	err := s.docs.DeleteDraft(r.Context(), s.actorOf(r), documentID(r), r.FormValue("reason"))
	return s.afterForm(w, r, err, fmt.Sprintf("/documents/%d", documentID(r)), "Đã xóa dự thảo.", "/documents?direction=outgoing")
}

// versionJSON is one version of a document's main file.
type versionJSON struct {
	FileID    int64     `json:"file_id"`
	Version   int       `json:"version"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	MediaType string    `json:"media_type"`
	Size      int64     `json:"size"`
	Note      string    `json:"note"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

func (s *Server) apiVersions(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.docs.Get(r.Context(), s.actorOf(r), documentID(r)); err != nil {
		return docsError(err)
	}
	versions, err := docs.Versions(r.Context(), s.pool, documentID(r))
	if err != nil {
		return err
	}
	out := make([]versionJSON, 0, len(versions))
	for _, v := range versions {
		out = append(out, versionJSON{FileID: v.ID, Version: v.Version, Kind: v.Kind, Name: v.Name, MediaType: v.MediaType,
			Size: v.Size, Note: v.Note, By: v.By, At: v.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
	return nil
}

func (s *Server) apiEditDraft(w http.ResponseWriter, r *http.Request) error {
	var in draftEditIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.editDraft(r, in); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã lưu thông tin dự thảo."})
	return nil
}

func (s *Server) apiDeleteDraft(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.docs.DeleteDraft(r.Context(), s.actorOf(r), documentID(r), in.Reason); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã xóa dự thảo."})
	return nil
}
