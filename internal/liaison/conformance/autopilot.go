package conformance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/org"
)

// Subject prefixes that steer the test agency (see the package comment).
const (
	subjectReject   = "TEST-REJECT"
	subjectHold     = "TEST-HOLD"
	subjectSendBack = "TEST-SEND-BACK"
)

// autopilotInterval is how often the test agency looks at its incoming documents;
// it makes one step per document per look, so statuses leave in order.
const autopilotInterval = 2 * time.Second

// AutopilotArgs is the test agency's periodic job.
type AutopilotArgs struct {
	Organ string `json:"organ"` // the test agency's OrganId
}

// Kind names the job in River's table.
func (AutopilotArgs) Kind() string { return "conformance.autopilot" }

// Autopilot registers the worker of the test agency organ and returns its periodic
// job, for `edms serve -test-agency ORGANID`: the agency then behaves as the
// catalogue's test agency, acting through its own account (see pilot.account).
func Autopilot(workers *river.Workers, svc *docs.Service, organ string) *river.PeriodicJob {
	river.AddWorker(workers, &autopilotWorker{pilot: &pilot{svc: svc, organ: organ}})
	return river.NewPeriodicJob(river.PeriodicInterval(autopilotInterval),
		func() (river.JobArgs, *river.InsertOpts) { return AutopilotArgs{Organ: organ}, oneRoundAtATime },
		&river.PeriodicJobOpts{ID: "conformance.autopilot", RunOnStart: true})
}

// oneRoundAtATime keeps a round from starting while another waits or runs (two
// rounds would draft two replies); a failed round is not retried, the next one
// picks up.
var oneRoundAtATime = &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
}}}

type autopilotWorker struct {
	river.WorkerDefaults[AutopilotArgs]
	pilot *pilot
}

// Work makes one round; each step commits in its own transaction as the documents
// service makes it, and the next round picks up whatever a failure left.
func (w *autopilotWorker) Work(ctx context.Context, _ *river.Job[AutopilotArgs]) error {
	return w.pilot.round(ctx)
}

// pilot acts as the test agency's system.
type pilot struct {
	svc   *docs.Service
	organ string
}

// changeAcceptor is the documents service's answer to a recall or update request
// (AcceptChange, from the statuses work); until the service has it, change
// requests wait for a clerk.
type changeAcceptor interface {
	AcceptChange(ctx context.Context, a docs.Actor, docID int64) error
}

// pending is an incoming document the test agency has not finished with.
type pending struct {
	id         int64
	state      docs.IncomingState
	subject    string
	externalID string // its edXML DocumentId
	sender     docs.Recipient
}

// round makes the next step of every document the agency received through the
// exchange and accepts the change requests waiting for it.
func (p *pilot) round(ctx context.Context) error {
	actor, err := p.account(ctx)
	if err != nil {
		return err
	}
	work, err := p.pending(ctx, actor.AgencyID)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range work {
		if err := p.step(ctx, actor, d); err != nil {
			errs = append(errs, fmt.Errorf("document %d (%s): %w", d.id, d.state, err))
		}
	}
	if acceptor, ok := any(p.svc).(changeAcceptor); ok {
		errs = append(errs, p.acceptChanges(ctx, actor, acceptor))
	}
	if err := errors.Join(errs...); err != nil {
		slog.Warn("conformance: the test agency's autopilot could not make a step", "organ", p.organ, "error", err)
		return err
	}
	return nil
}

// step moves a document one step along the catalogue's behaviour.
func (p *pilot) step(ctx context.Context, a docs.Actor, d pending) error {
	switch d.state {
	case docs.InReceived:
		if strings.HasPrefix(d.subject, subjectReject) {
			return p.svc.Reject(ctx, a, d.id, "Văn bản thử nghiệm được trả lại theo yêu cầu (TEST-REJECT).")
		}
		_, err := p.svc.Register(ctx, a, d.id, "Vào sổ tự động (cơ quan thử nghiệm).")
		return err
	case docs.InRegistered:
		if strings.HasPrefix(d.subject, subjectHold) {
			return nil
		}
		return p.svc.SubmitToLeader(ctx, a, d.id, "")
	case docs.InSubmitted:
		deadline := time.Now().AddDate(0, 0, 7)
		return p.svc.Assign(ctx, a, d.id, []docs.AssignmentInput{{Role: docs.RoleLead, UserID: a.UserID, Deadline: &deadline}}, "Giao xử lý tự động.")
	case docs.InAssigned:
		lead, err := p.leadAssignment(ctx, d.id)
		if err != nil {
			return err
		}
		return p.svc.ReportProgress(ctx, a, lead, 50, "Đang xử lý (tự động).")
	case docs.InProgress:
		var reply int64
		if strings.HasPrefix(d.subject, subjectSendBack) {
			var err error
			if reply, err = p.sendReply(ctx, a, d); err != nil {
				return fmt.Errorf("the reply: %w", err)
			}
		}
		return p.svc.Complete(ctx, a, d.id, "Hoàn thành (tự động).", reply)
	}
	return nil
}

// replySteps move the autopilot's reply from each outgoing state to the next.
var replySteps = map[docs.OutgoingState]func(ctx context.Context, s *docs.Service, a docs.Actor, id int64) error{
	docs.OutDraft: func(ctx context.Context, s *docs.Service, a docs.Actor, id int64) error {
		return s.Submit(ctx, a, id, "")
	},
	docs.OutInReview: func(ctx context.Context, s *docs.Service, a docs.Actor, id int64) error {
		return s.Approve(ctx, a, id, "")
	},
	docs.OutApproved: func(ctx context.Context, s *docs.Service, a docs.Actor, id int64) error {
		return s.SubmitForSignature(ctx, a, id, "")
	},
	docs.OutPendingSignature: func(ctx context.Context, s *docs.Service, a docs.Actor, id int64) error {
		return s.Sign(ctx, a, id, docs.SignInput{})
	},
	docs.OutSigned: func(ctx context.Context, s *docs.Service, a docs.Actor, id int64) error {
		_, err := s.Issue(ctx, a, id, "")
		return err
	},
	docs.OutNumbered: func(ctx context.Context, s *docs.Service, a docs.Actor, id int64) error {
		return s.Seal(ctx, a, id, "")
	},
	docs.OutSealed: func(ctx context.Context, s *docs.Service, a docs.Actor, id int64) error {
		return s.Send(ctx, a, id, "")
	},
}

// replySubject names the reply to a document; the kit finds the reply by it.
func replySubject(externalID string) string { return "Trả lời văn bản " + externalID }

// sendReply drafts, approves, signs, numbers, seals and sends a reply to the sender
// of d, resuming where an earlier round stopped, and returns its id. The autopilot
// account has no personal signing key, so the reply's PDF is issued without PDF
// signatures, as on a node without keys; the package that carries it is signed
// with the agency's key by the exchange as always.
func (p *pilot) sendReply(ctx context.Context, a docs.Actor, d pending) (int64, error) {
	unsigned := *p.svc
	unsigned.Signing = nil
	id, state, err := p.reply(ctx, a.AgencyID, replySubject(d.externalID))
	if err != nil {
		return 0, err
	}
	if id == 0 {
		id, err = unsigned.CreateDraft(ctx, a, docs.DraftInput{
			Document: docs.Document{Type: docs.TypeCongVan, Subject: replySubject(d.externalID), Place: "Hà Nội", Recipients: []docs.Recipient{d.sender}},
			File:     docs.FileInput{Name: "tra-loi.pdf", MediaType: docs.MediaPDF, Content: strings.NewReader(onePagePDF(d.externalID))},
		})
		if err != nil {
			return 0, err
		}
		state = docs.OutDraft
	}
	for state != docs.OutSent {
		step, ok := replySteps[state]
		if !ok {
			return 0, fmt.Errorf("conformance: the reply %d is %s", id, state)
		}
		if err := step(ctx, &unsigned, a, id); err != nil {
			return 0, err
		}
		if _, state, err = p.reply(ctx, a.AgencyID, replySubject(d.externalID)); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// reply finds the autopilot's reply by its subject: its id and state, 0 if none.
func (p *pilot) reply(ctx context.Context, agencyID int64, subject string) (int64, docs.OutgoingState, error) {
	var id int64
	var state docs.OutgoingState
	err := p.svc.Pool.QueryRow(ctx, `SELECT id, outgoing_state FROM documents
		WHERE agency_id = $1 AND direction = 'outgoing' AND subject = $2 ORDER BY id LIMIT 1`, agencyID, subject).Scan(&id, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("conformance: unable to find the reply: %w", err)
	}
	return id, state, nil
}

// pending lists the exchange's arrivals of the agency that still have a step to go.
func (p *pilot) pending(ctx context.Context, agencyID int64) ([]pending, error) {
	rows, err := p.svc.Pool.Query(ctx, `SELECT id, incoming_state, subject, external_id, issuer_organ_id, issuer_name FROM documents
		WHERE agency_id = $1 AND direction = 'incoming' AND external_id <> ''
		  AND incoming_state IN ('received', 'registered', 'submitted', 'assigned', 'in_progress')
		ORDER BY id LIMIT 100`, agencyID)
	if err != nil {
		return nil, fmt.Errorf("conformance: unable to list the test agency's documents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pending, error) {
		var d pending
		err := row.Scan(&d.id, &d.state, &d.subject, &d.externalID, &d.sender.OrganID, &d.sender.Name)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("conformance: unable to list the test agency's documents: %w", err)
	}
	return out, nil
}

func (p *pilot) leadAssignment(ctx context.Context, docID int64) (int64, error) {
	assignments, err := docs.Assignments(ctx, p.svc.Pool, docID)
	if err != nil {
		return 0, err
	}
	for _, as := range assignments {
		if as.Role == docs.RoleLead {
			return as.ID, nil
		}
	}
	return 0, fmt.Errorf("conformance: document %d has no lead assignment", docID)
}

// acceptChanges accepts every pending recall or update request of the agency; the
// documents service answers 16 itself for a document already completed.
func (p *pilot) acceptChanges(ctx context.Context, a docs.Actor, acceptor changeAcceptor) error {
	rows, err := p.svc.Pool.Query(ctx, `SELECT DISTINCT r.document_id FROM document_change_requests r
		JOIN documents d ON d.id = r.document_id WHERE d.agency_id = $1 AND r.state = 'pending'`, a.AgencyID)
	if err != nil {
		return fmt.Errorf("conformance: unable to list change requests: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("conformance: unable to list change requests: %w", err)
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, acceptor.AcceptChange(ctx, a, id))
	}
	return errors.Join(errs...)
}

// accountName is the username the autopilot acts as in the test agency.
func accountName(organ string) string { return "tudong." + strings.ToLower(organ) }

// account is the test agency's autopilot account: a user of the agency, in a unit
// of its own (TUDONG, where its replies are drafted), holding the
// clerk's, the specialist's, the unit head's and the leader's roles, created on first use with a
// random password nobody knows, so every step it makes is audited under its name.
func (p *pilot) account(ctx context.Context) (docs.Actor, error) {
	agency, err := org.AgencyByOrganID(ctx, p.svc.Pool, p.organ)
	if err != nil {
		return docs.Actor{}, fmt.Errorf("conformance: the test agency %s: %w", p.organ, err)
	}
	name := accountName(p.organ)
	u, err := org.UserByUsername(ctx, p.svc.Pool, name)
	switch {
	case err == nil:
		return docs.Actor{UserID: u.ID, AgencyID: agency.ID}, nil
	case !errors.Is(err, org.ErrUserNotFound):
		return docs.Actor{}, err
	}
	unit := &org.Unit{AgencyID: agency.ID, Name: "Tổ tự động kiểm thử liên thông", Abbreviation: "TUDONG"}
	if _, err := org.SaveUnit(ctx, p.svc.Pool, unit); err != nil {
		return docs.Actor{}, fmt.Errorf("conformance: unable to create the autopilot's unit: %w", err)
	}
	secret := make([]byte, 24)
	rand.Read(secret)
	u = &org.User{Username: name, FullName: "Hệ thống tự động (kiểm thử liên thông)"}
	place := access.Placement{AgencyID: agency.ID, UnitID: &unit.ID, Position: "Tự động", Roles: []access.Role{access.VanThu, access.ChuyenVien, access.LanhDaoPhong, access.LanhDao}}
	if err := access.CreateAccount(ctx, p.svc.Pool, u, base64.RawURLEncoding.EncodeToString(secret), []access.Placement{place}, access.Actor{Name: "conformance autopilot"}); err != nil {
		return docs.Actor{}, fmt.Errorf("conformance: unable to create the autopilot's account: %w", err)
	}
	return docs.Actor{UserID: u.ID, AgencyID: agency.ID}, nil
}
