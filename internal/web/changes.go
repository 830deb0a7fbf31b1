package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
)

// Changes after sending: the sender's update (cập nhật) of a sent document, and the
// receiving clerk's answer to a recall or an update its sender asks. Recall itself is
// the lifecycle step "recall".

// updateIn is the clerk's correction of a sent document.
type updateIn struct {
	Subject    string       `json:"subject"`
	Urgency    docs.Urgency `json:"urgency"`
	DueDate    string       `json:"due_date"`   // yyyy-mm-dd
	Recipients []string     `json:"recipients"` // organ_ids to add
	Reason     string       `json:"reason"`
}

// changeStep is one of the change forms: it runs the service call and says what
// happened.
type changeStep func(ctx context.Context, s *Server, r *http.Request, in changeIn) (string, error)

// changeIn is what a change form or body carries.
type changeIn struct {
	updateIn
	Note string `json:"note"` // the reason of a refusal
}

var changeSteps = map[string]struct {
	perm access.Permission
	step changeStep
}{
	"update": {access.OutgoingSend, updateStep},
	"change/accept": {access.IncomingReceive, func(ctx context.Context, s *Server, r *http.Request, _ changeIn) (string, error) {
		return "Đã đồng ý yêu cầu của nơi gửi.", s.docs.AcceptChange(ctx, s.actorOf(r), documentID(r))
	}},
	"change/refuse": {access.IncomingReceive, func(ctx context.Context, s *Server, r *http.Request, in changeIn) (string, error) {
		return "Đã từ chối yêu cầu của nơi gửi.", s.docs.RefuseChange(ctx, s.actorOf(r), documentID(r), in.Note)
	}},
}

func updateStep(ctx context.Context, s *Server, r *http.Request, in changeIn) (string, error) {
	d, err := documentIn{DueDate: in.DueDate, Recipients: in.Recipients}.toDocument(ctx, s)
	if err != nil {
		return "", err
	}
	err = s.docs.Update(ctx, s.actorOf(r), documentID(r), docs.UpdateInput{Subject: in.Subject, Urgency: in.Urgency,
		DueDate: d.DueDate, AddRecipients: d.Recipients, Reason: in.Reason})
	return "Đã cập nhật văn bản; nơi nhận được thông báo.", err
}

// routeChanges declares the change forms (pages) or their JSON API.
func (s *Server) routeChanges(r *mux.Router, namePrefix string, as responder, h func(changeStep) handlerFunc) {
	for path, c := range changeSteps {
		s.handle(r, namePrefix+"document."+path, "POST", "/documents/{id:[0-9]+}/"+path, need(c.perm), as, h(c.step))
	}
}

// pageChange runs a change from a form and returns to the document.
func (s *Server) pageChange(step changeStep) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		in := changeIn{updateIn: updateIn{Subject: r.FormValue("subject"), Urgency: docs.Urgency(r.FormValue("urgency")),
			DueDate: r.FormValue("due_date"), Recipients: r.Form["recipients"], Reason: r.FormValue("reason")}, Note: r.FormValue("note")}
		back := fmt.Sprintf("/documents/%d", documentID(r))
		message, err := step(r.Context(), s, r, in)
		return s.afterForm(w, r, err, back, message, back)
	}
}

// apiChange runs a change with a JSON body and answers with the document.
func (s *Server) apiChange(step changeStep) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in changeIn
		if r.ContentLength != 0 {
			if err := decodeJSON(w, r, &in); err != nil {
				return err
			}
		}
		message, err := step(r.Context(), s, r, in)
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

// recipientJSON is one recipient of an outgoing document with where delivery stands,
// the change last asked of it, and its statuses in the order they were recorded.
type recipientJSON struct {
	OrganID     string               `json:"organ_id"`
	Name        string               `json:"name"`
	Status      string               `json:"status"`
	StatusLabel string               `json:"status_label"`
	At          time.Time            `json:"at"`
	Note        string               `json:"note,omitempty"` // the recipient's note, or why delivery failed
	ReceiptID   string               `json:"receipt_id,omitempty"`
	Change      *recipientChangeJSON `json:"change,omitempty"`
	History     []statusEventJSON    `json:"history"`
}

type recipientChangeJSON struct {
	Business int    `json:"business"`         // 1 recall, 2 update
	Answer   string `json:"answer,omitempty"` // "15", "16", or none yet
	Note     string `json:"note,omitempty"`
	Label    string `json:"label"`
}

type statusEventJSON struct {
	Code       string    `json:"code"`
	Label      string    `json:"label"`
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	Note       string    `json:"note,omitempty"`
	ReceiptID  string    `json:"receipt_id,omitempty"`
	Stale      bool      `json:"stale"` // arrived late: kept, not applied
}

func toRecipientJSON(r docs.RecipientTracking) recipientJSON {
	out := recipientJSON{OrganID: r.OrganID, Name: r.Name, Status: string(r.Status), StatusLabel: recipientStatusLabels[r.Status],
		At: r.At, Note: r.Note, ReceiptID: r.ReceiptID, History: []statusEventJSON{}}
	if r.ChangeBusiness != 0 {
		out.Change = &recipientChangeJSON{r.ChangeBusiness, r.ChangeAnswer, r.ChangeNote, r.ChangeLabel()}
	}
	for _, h := range r.History {
		out.History = append(out.History, statusEventJSON{string(h.Code), h.Code.Label(), h.At, h.RecordedAt, h.Note, h.ReceiptID, h.Stale})
	}
	return out
}

// changeRequestJSON is the change the sender of an incoming document asks.
type changeRequestJSON struct {
	Business    int        `json:"business"` // 1 recall, 2 update
	Label       string     `json:"label"`
	Reason      string     `json:"reason"`
	Subject     string     `json:"subject,omitempty"` // an update's new metadata
	Urgency     string     `json:"urgency,omitempty"`
	RequestedAt time.Time  `json:"requested_at"`
	DueDate     *time.Time `json:"due_date,omitempty"`
}

func toChangeRequestJSON(p *docs.PendingChange) *changeRequestJSON {
	if p == nil {
		return nil
	}
	return &changeRequestJSON{Business: p.Business, Label: p.Label(), Reason: p.Reason, Subject: p.Change.Subject,
		Urgency: string(p.Change.Urgency), RequestedAt: p.RequestedAt, DueDate: p.Change.DueDate}
}
