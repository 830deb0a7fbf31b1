package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"edms/internal/docs"
	"edms/internal/org"
	"edms/internal/store"
)

// documentDetail is everything shown about one document: its metadata, files,
// history, per-recipient delivery, assignments, and the steps the viewer may take.
type documentDetail struct {
	Record      *docs.Record
	Files       []docs.File
	Conversions []docs.ConversionFailure // DOCX of the current version that could not be converted
	History     []docs.Transition
	Recipients  []docs.RecipientTracking // with each recipient's status history
	Assignments []docs.Assignment
	Thread      []docs.ThreadEntry // comments, bút phê and progress (comments.html)
	Actions     []docs.ActionInfo
	// PendingChange is the recall or update the sender of an incoming document asks.
	PendingChange *docs.PendingChange
	ReplacedBy    *docs.Record     // the copy of the replacement that superseded this one
	Names         map[int64]string // user id → full name
	UnitNames     map[int64]string // unit id → name
}

// loadDetail reads a document the principal may see.
func (s *Server) loadDetail(r *http.Request, id int64) (*documentDetail, error) {
	ctx := r.Context()
	rec, err := s.docs.Get(ctx, s.actorOf(r), id)
	if err != nil {
		return nil, docsError(err)
	}
	d := &documentDetail{Record: rec}
	if d.Files, err = docs.Files(ctx, s.pool, id); err != nil {
		return nil, err
	}
	if d.Conversions, err = docs.ConversionFailures(ctx, s.pool, id); err != nil {
		return nil, err
	}
	if d.History, err = docs.History(ctx, s.pool, id); err != nil {
		return nil, err
	}
	if d.Recipients, err = docs.Tracking(ctx, s.pool, id); err != nil {
		return nil, err
	}
	if d.PendingChange, err = docs.PendingChangeOf(ctx, s.pool, id); err != nil {
		return nil, err
	}
	if rec.ReplacedByID != 0 { // the replacement may be hidden from a reader of the copy it replaced
		if d.ReplacedBy, err = s.docs.Get(ctx, s.actorOf(r), rec.ReplacedByID); err != nil && !errors.Is(err, docs.ErrNotFound) {
			return nil, err
		}
	}
	if d.Assignments, err = docs.Assignments(ctx, s.pool, id); err != nil {
		return nil, err
	}
	if d.Thread, err = s.docs.Thread(ctx, s.actorOf(r), id); err != nil {
		return nil, err
	}
	for _, a := range docs.NextActions(rec) {
		if _, web := lifecycleSteps[rec.Direction][a.Action]; web && s.can(r, a.Permission) && offersStep(a.Action, d.Assignments, principalOf(r).User.ID) {
			d.Actions = append(d.Actions, a)
		}
	}
	if d.Names, err = userNames(ctx, s.pool, rec.AgencyID); err != nil {
		return nil, err
	}
	if d.UnitNames, err = unitNames(ctx, s.pool, rec.AgencyID); err != nil {
		return nil, err
	}
	return d, nil
}

// unitNames maps the units of an agency to their names.
func unitNames(ctx context.Context, db store.DB, agencyID int64) (map[int64]string, error) {
	units, err := org.Units(ctx, db, agencyID)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, u := range units {
		names[u.ID] = u.Name
	}
	return names, nil
}

// userNames maps the members of an agency to their full names.
func userNames(ctx context.Context, db store.DB, agencyID int64) (map[int64]string, error) {
	rows, err := db.Query(ctx, `SELECT u.id, u.full_name FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.agency_id = $1`, agencyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}

// JSON is the API form of the detail.
func (d *documentDetail) JSON() map[string]any {
	type fileJSON struct {
		ID        int64     `json:"id"`
		Kind      string    `json:"kind"`
		Version   int       `json:"version"`
		Name      string    `json:"name"`
		MediaType string    `json:"media_type"`
		Size      int64     `json:"size"`
		CreatedAt time.Time `json:"created_at"`
	}
	type historyJSON struct {
		Action string    `json:"action"`
		From   string    `json:"from"`
		To     string    `json:"to"`
		Actor  string    `json:"actor"`
		At     time.Time `json:"at"`
		Note   string    `json:"note,omitempty"`
	}
	type assignmentOut struct {
		ID       int64      `json:"id"`
		Role     string     `json:"role"`
		Unit     string     `json:"unit,omitempty"`
		Person   string     `json:"person,omitempty"`
		Handler  string     `json:"handler,omitempty"`
		Deadline *time.Time `json:"deadline,omitempty"`
		Note     string     `json:"note,omitempty"`
		Progress int        `json:"progress"`
	}
	files := []fileJSON{}
	for _, f := range d.Files {
		files = append(files, fileJSON{f.ID, f.Kind, f.Version, f.Name, f.MediaType, f.Size, f.CreatedAt})
	}
	history := []historyJSON{}
	for _, t := range d.History {
		history = append(history, historyJSON{t.Action, t.From, t.To, d.Names[t.ActorID], t.At, t.Note})
	}
	recipients := []recipientJSON{}
	for _, r := range d.Recipients {
		recipients = append(recipients, toRecipientJSON(r))
	}
	assignments := []assignmentOut{}
	for _, a := range d.Assignments {
		assignments = append(assignments, assignmentOut{a.ID, string(a.Role), d.UnitNames[a.UnitID], d.Names[a.UserID],
			d.Names[a.HandlerID], a.Deadline, a.Note, a.Progress})
	}
	actions := []string{}
	for _, a := range d.Actions {
		actions = append(actions, a.Action)
	}
	type conversionJSON struct {
		FileName string `json:"file_name"`
		Message  string `json:"message"`
	}
	conversions := []conversionJSON{}
	for _, c := range d.Conversions {
		conversions = append(conversions, conversionJSON(c))
	}
	out := map[string]any{"document": toDocumentOut(d.Record), "files": files, "history": history,
		"recipients": recipients, "assignments": assignments, "actions": actions, "conversion_failures": conversions,
		"change_request": toChangeRequestJSON(d.PendingChange)}
	if d.ReplacedBy != nil {
		out["replaced_by"] = toDocumentOut(d.ReplacedBy)
	}
	return out
}
