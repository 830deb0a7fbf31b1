package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
)

// actionInput is what a lifecycle step may carry, from a form or a JSON body.
type actionInput struct {
	Note        string           `json:"note"`       // ý kiến, lý do, bút phê
	Competence  string           `json:"competence"` // sign: "KT. CHỦ TỊCH"
	Position    string           `json:"position"`   // sign: overrides the membership's position
	Assignments []assignmentJSON `json:"assignments"`
	RecordID    int64            `json:"record_id"` // file
	ReplyID     int64            `json:"reply_id"`  // complete: the outgoing reply
}

// assignmentJSON is one line of a leader's assignment (phân công).
type assignmentJSON struct {
	Role     docs.AssignmentRole `json:"role"` // chu_tri, phoi_hop, de_biet
	Unit     string              `json:"unit"` // unit abbreviation
	UserID   int64               `json:"user_id"`
	Deadline string              `json:"deadline"` // yyyy-mm-dd
	Note     string              `json:"note"`
}

// stepFunc runs one lifecycle step and returns a sentence saying what happened.
type stepFunc func(ctx context.Context, s *Server, a docs.Actor, id int64, in actionInput) (string, error)

// lifecycleSteps maps each step of the docs lifecycles to the service call that makes
// it; the routes of both the HTML forms and the JSON API come from this one table.
var lifecycleSteps = map[docs.Direction]map[string]stepFunc{
	docs.Outgoing: {
		"submit":           noteStep((*docs.Service).Submit, "Đã trình duyệt dự thảo."),
		"return":           noteStep((*docs.Service).Return, "Đã trả lại dự thảo để sửa."),
		"approve":          noteStep((*docs.Service).Approve, "Đã duyệt dự thảo."),
		"submit_signature": noteStep((*docs.Service).SubmitForSignature, "Đã trình ký."),
		"return_signature": noteStep((*docs.Service).ReturnFromSigner, "Đã trả lại dự thảo để sửa."),
		"sign":             signStep,
		"issue":            issueStep,
		"seal":             noteStep((*docs.Service).Seal, "Đã ký số của cơ quan."),
		"send":             noteStep((*docs.Service).Send, "Đã phát hành văn bản."),
		"recall":           noteStep((*docs.Service).Recall, "Đã thu hồi văn bản; nơi nhận được yêu cầu hủy bản đã nhận."),
	},
	docs.Incoming: {
		"reject":    noteStep((*docs.Service).Reject, "Đã trả lại văn bản cho nơi gửi."),
		"register":  registerStep,
		"submit":    noteStep((*docs.Service).SubmitToLeader, "Đã trình lãnh đạo."),
		"assign":    assignStep,
		"complete":  completeStep,
		"take_back": noteStep((*docs.Service).TakeBack, "Đã thu hồi phân công; văn bản chờ phân công lại."),
		"file":      fileStep,
	},
}

func noteStep(call func(*docs.Service, context.Context, docs.Actor, int64, string) error, done string) stepFunc {
	return func(ctx context.Context, s *Server, a docs.Actor, id int64, in actionInput) (string, error) {
		return done, call(s.docs, ctx, a, id, in.Note)
	}
}

func signStep(ctx context.Context, s *Server, a docs.Actor, id int64, in actionInput) (string, error) {
	err := s.docs.Sign(ctx, a, id, docs.SignInput{Competence: in.Competence, Position: in.Position, Note: in.Note})
	return "Đã ký văn bản.", err
}

func issueStep(ctx context.Context, s *Server, a docs.Actor, id int64, in actionInput) (string, error) {
	res, err := s.docs.Issue(ctx, a, id, in.Note)
	return "Đã cấp " + res.Printed + ".", err
}

func registerStep(ctx context.Context, s *Server, a docs.Actor, id int64, in actionInput) (string, error) {
	n, err := s.docs.Register(ctx, a, id, in.Note)
	return fmt.Sprintf("Đã vào sổ văn bản đến, số đến %s.", docs.FormatNumber(n)), err
}

func assignStep(ctx context.Context, s *Server, a docs.Actor, id int64, in actionInput) (string, error) {
	lines, err := assignmentLines(in.Assignments)
	if err != nil {
		return "", err
	}
	return "Đã phân công xử lý.", s.docs.Assign(ctx, a, id, lines, in.Note)
}

func completeStep(ctx context.Context, s *Server, a docs.Actor, id int64, in actionInput) (string, error) {
	return "Đã báo hoàn thành xử lý.", s.docs.Complete(ctx, a, id, in.Note, in.ReplyID)
}

func fileStep(ctx context.Context, s *Server, a docs.Actor, id int64, in actionInput) (string, error) {
	return "Đã đưa văn bản vào hồ sơ.", s.docs.File(ctx, a, id, in.RecordID, in.Note)
}

// assignmentLines parses deadlines; the service resolves unit abbreviations in the
// document's agency, once it knows the caller may see the document.
func assignmentLines(in []assignmentJSON) ([]docs.AssignmentInput, error) {
	lines := make([]docs.AssignmentInput, 0, len(in))
	for _, l := range in {
		line := docs.AssignmentInput{Role: l.Role, Unit: l.Unit, UserID: l.UserID, Note: l.Note}
		if l.Deadline != "" {
			d, err := time.Parse("2006-01-02", l.Deadline)
			if err != nil {
				return nil, badRequest("deadline_invalid", "Hạn xử lý \""+l.Deadline+"\" không đúng dạng năm-tháng-ngày.")
			}
			line.Deadline = &d
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// routeDocumentSteps registers one route per lifecycle step under prefix, guarded by
// the step's own permission.
func (s *Server) routeDocumentSteps(r *mux.Router, namePrefix string, as responder, h func(docs.Direction, string) handlerFunc) {
	for _, dir := range []docs.Direction{docs.Outgoing, docs.Incoming} {
		for _, act := range docs.Actions(dir) {
			if _, ok := lifecycleSteps[dir][act.Action]; !ok {
				continue // a step the exchange makes, not a person
			}
			path := fmt.Sprintf("/documents/{id:[0-9]+}/%s/%s", dir, act.Action)
			guard := need(act.Permission)
			if docs.Delegable(act.Permission) { // a delegate holds it through a delegation: the service decides
				guard = need(access.DocumentRead)
			}
			s.handle(r, namePrefix+string(dir)+"."+act.Action, "POST", path, guard, as, h(dir, act.Action))
		}
	}
}

// actorOf is the principal as the docs service sees it.
func (s *Server) actorOf(r *http.Request) docs.Actor {
	p := principalOf(r)
	return docs.Actor{UserID: p.User.ID, AgencyID: p.AgencyID, ClientIP: s.clientIP(r)}
}

func documentID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	return id
}

// docsError turns a docs error into an API error with a stable code and the service's
// Vietnamese sentence.
func docsError(err error) error {
	var api *apiError
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &api): // a streamed upload's own refusal, from inside the service
		return api
	case errors.As(err, &tooLarge):
		return bodyTooLarge(tooLarge.Limit)
	}
	msg := docs.UserMessage(err)
	switch {
	case errors.Is(err, docs.ErrNotFound):
		return &apiError{http.StatusNotFound, "document_not_found", msg}
	case errors.Is(err, docs.ErrForbidden):
		return &apiError{http.StatusForbidden, "forbidden", msg}
	case errors.Is(err, docs.ErrIllegalTransition):
		return &apiError{http.StatusConflict, "illegal_transition", msg}
	case errors.Is(err, docs.ErrDuplicate):
		return &apiError{http.StatusConflict, "duplicate", msg}
	case errors.Is(err, docs.ErrFileTooLarge):
		return &apiError{http.StatusRequestEntityTooLarge, "file_too_large", msg}
	case errors.Is(err, docs.ErrInvalid), errors.Is(err, docs.ErrFileWrongType), errors.Is(err, docs.ErrFileEmpty),
		errors.Is(err, docs.ErrMediaNotAllowed):
		return &apiError{http.StatusBadRequest, "invalid", msg}
	}
	return err
}

// can reports whether the request's principal holds the permission.
func (s *Server) can(r *http.Request, p access.Permission) bool {
	pr := principalOf(r)
	return s.enforcer.Can(pr.User.ID, pr.AgencyID, p)
}

// parseDate reads an optional yyyy-mm-dd date.
func parseDate(field, value string) (*time.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, nil
	}
	d, err := time.Parse("2006-01-02", value)
	if err != nil {
		return nil, badRequest("date_invalid", fmt.Sprintf("Trường %s: \"%s\" không đúng dạng năm-tháng-ngày.", field, value))
	}
	return &d, nil
}
