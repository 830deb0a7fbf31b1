package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/org"
	"edms/internal/store/storetest"
	"edms/internal/web"
)

// routesWithoutDocument are the state-changing routes that act on no existing
// document, assignment or reminder (they create one, or concern the session or the
// directory); every other state-changing route must be exercised below.
var routesWithoutDocument = map[string]string{
	"login": "session", "logout": "session", "agency.switch": "session",
	"draft.create": "creates a draft (the form cannot name a replaced document)", "receive.create": "creates a document",
	"receive.edxml": "creates a document", "api.incoming.receive": "creates a document", "api.incoming.edxml": "creates a document",
	"api.users.create": "directory", "api.records.create": "creates a record", "records.open": "creates a record",
	// Administration, own account and notifications (admin.go, account.go, notifications.go): people, agencies and
	// the person's own notifications; their agency and ownership checks are tested in admin_test.go.
	"admin.users.create": "directory", "admin.user.placement": "directory", "admin.user.state": "directory",
	"admin.user.password": "directory", "admin.user.token": "directory", "admin.agencies.save": "directory",
	"admin.agencies.import": "directory", "admin.agency.unit": "directory", "admin.keys.seal": "keyring",
	"admin.keys.signature": "keyring", "account.password": "session", "api.account.password": "session",
	"notifications.read": "own notification", "notifications.read_all": "own notifications", "notifications.settings": "own setting",
	"api.notifications.read": "own notification", "api.notifications.settings": "own setting",
	"api.user.placement": "directory", "api.user.disable": "directory", "api.user.enable": "directory",
	"api.user.password": "directory", "api.user.token": "directory", "api.agencies.save": "directory", "api.units.save": "directory",
	"admin.trust.upload": "trust anchors", "admin.trust.add": "trust anchors", "admin.trust.remove": "trust anchors",
	"api.trust.add": "trust anchors", "api.trust.remove": "trust anchors",
	"delegation.create": "creates a delegation", "api.delegations.create": "creates a delegation",
	// Personal signatures (personal_sign.go): a pending signature is its user's own; the service finds no other's.
	"signature.remote": "own pending signature", "signature.otp": "own pending signature", "signature.complete": "own pending signature",
	"signature.abandon": "own pending signature", "api.signature.complete": "own pending signature", "api.signature.abandon": "own pending signature",
	"api.signature.remote": "own pending signature",
	"admin.signing.policy": "agency setting", "admin.user.signing.account": "directory", "admin.user.certificate": "directory",
	"admin.user.identifier": "directory", "account.signing.account": "own setting",
}

// TestHiddenDocumentsRefuseEveryWrite walks the route table and, for every
// state-changing route that names a document (directly, or through an assignment or
// a reminder), has someone who cannot see the document try it: a member of the same
// agency holding every role but neither keeping nor granted the (secret) document,
// and a member of another agency. Each attempt must answer 404 and leave the
// database as it was. Each document is in a state where the step would be legal, so
// that only visibility stops it.
func TestHiddenDocumentsRefuseEveryWrite(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	must(t, demo.Seed(context.Background(), pool, demoPassword))
	h := newHiddenDocuments(t, pool)
	tokens := map[string]string{ // before the server loads its policies
		"same agency":  h.outsider(t, "kiemtra.huyen", demo.DistrictID),
		"other agency": h.outsider(t, "kiemtra.yenninh", demo.YenNinhID),
	}
	ts, srv := serveDemo(t, pool, web.Config{}, nil)
	outsiders := map[string]*apiClient{}
	for who, token := range tokens {
		outsiders[who] = &apiClient{t: t, base: ts.URL + "/api/v1", token: token}
	}
	tried := 0
	err := srv.Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, err := route.GetMethods()
		methods = slices.DeleteFunc(methods, func(m string) bool { return m == http.MethodGet || m == http.MethodHead })
		if err != nil || route.GetHandler() == nil || len(methods) == 0 {
			return nil
		}
		name := route.GetName()
		if _, ok := routesWithoutDocument[name]; ok {
			return nil
		}
		req, ok := h.request(route)
		if !ok {
			t.Errorf("state-changing route %s is not covered by this test", name)
			return nil
		}
		for who, c := range outsiders {
			for _, method := range methods {
				for _, body := range req.bodies() {
					before := snapshot(t, pool)
					status, answer := c.raw(method, req.path, req.contentType, body)
					if status != http.StatusNotFound {
						t.Errorf("%s: %s %s %s answered %d, want 404: %s", who, method, name, req.path, status, answer)
					}
					if changed := changedTables(before, snapshot(t, pool)); len(changed) > 0 {
						t.Errorf("%s: %s %s changed %v", who, method, name, changed)
					}
					tried++
				}
			}
		}
		return nil
	})
	must(t, err)
	if tried < 2*30 {
		t.Fatalf("tried only %d requests", tried)
	}
}

// changedTables lists the tables whose fingerprints differ.
func changedTables(before, after map[string]string) []string {
	var changed []string
	for table, sum := range before {
		if after[table] != sum {
			changed = append(changed, table)
		}
	}
	slices.Sort(changed)
	return changed
}

// hiddenDocuments holds a secret document of the district in every state a step
// starts from, an assignment and a reminder on one, none visible to outsiders.
type hiddenDocuments struct {
	pool                 *pgxpool.Pool
	district             int64
	drafter              int64
	unitAbbr             string
	byState              map[string]int64 // direction/state → document
	assignment, reminder int64
	changeRequested      int64 // an incoming document whose sender asks a recall
	record               int64 // an open record of the district holding a hidden document
	delegation           int64 // the chairman's, which nobody else may revoke
}

func newHiddenDocuments(t *testing.T, pool *pgxpool.Pool) *hiddenDocuments {
	t.Helper()
	ctx := context.Background()
	h := &hiddenDocuments{pool: pool, byState: map[string]int64{}}
	drafter, err := org.UserByUsername(ctx, pool, "chuyenvien.tckh")
	must(t, err)
	h.drafter = drafter.ID
	var unit int64
	must(t, pool.QueryRow(ctx, `SELECT m.agency_id, m.unit_id, u.abbreviation FROM memberships m JOIN units u ON u.id = m.unit_id
		WHERE m.user_id = $1`, h.drafter).Scan(&h.district, &unit, &h.unitAbbr))
	for _, dir := range []docs.Direction{docs.Outgoing, docs.Incoming} {
		for _, act := range docs.Actions(dir) {
			for _, state := range act.From {
				key := string(dir) + "/" + state
				if h.byState[key] != 0 {
					continue
				}
				h.byState[key] = h.insert(t, dir, state, unit)
			}
		}
	}
	// A delivery that failed, which the outsiders would otherwise be able to resend.
	_, err = pool.Exec(ctx, `UPDATE document_recipients SET status = 'failed', package_id = 'pkg-hidden' WHERE document_id = $1`,
		h.byState["outgoing/sent"])
	must(t, err)
	assigned := h.byState["incoming/assigned"]
	must(t, pool.QueryRow(ctx, `INSERT INTO assignments (document_id, role, user_id, deadline, assigned_by, assigned_at)
		VALUES ($1, 'chu_tri', $2, current_date + 7, $2, now()) RETURNING id`, assigned, h.drafter).Scan(&h.assignment))
	must(t, pool.QueryRow(ctx, `INSERT INTO document_reminders (assignment_id, user_id, deadline, days_left, queued_on)
		VALUES ($1, $2, current_date + 7, 7, current_date) RETURNING id`, h.assignment, h.drafter).Scan(&h.reminder))
	must(t, pool.QueryRow(ctx, `INSERT INTO records (agency_id, code, title, year, created_by) VALUES ($1, 'KT', 'Hồ sơ kiểm tra quyền', 2026, $2)
		RETURNING id`, h.district, h.drafter).Scan(&h.record))
	_, err = pool.Exec(ctx, `INSERT INTO record_documents (record_id, document_id, filed_by) VALUES ($1, $2, $3)`,
		h.record, h.byState["incoming/completed"], h.drafter)
	must(t, err)
	must(t, pool.QueryRow(ctx, `INSERT INTO delegations (agency_id, delegator_id, delegate_id, scope, prefix, starts_on, ends_on)
		SELECT $1, u.id, $2, 'sign', 'KT.', current_date, current_date + 7 FROM users u WHERE u.username = 'chutich.huyen'
		RETURNING id`, h.district, h.drafter).Scan(&h.delegation))
	h.changeRequested = h.byState["incoming/registered"]
	_, err = pool.Exec(ctx, `INSERT INTO document_change_requests (document_id, business, reason) VALUES ($1, 1, 'Thu hồi')`, h.changeRequested)
	must(t, err)
	return h
}

// insert writes a secret document of the drafter directly in a state, with a PDF.
func (h *hiddenDocuments) insert(t *testing.T, dir docs.Direction, state string, unit int64) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	numbered := dir == docs.Outgoing && !slices.Contains([]string{"draft", "in_review", "returned", "approved", "pending_signature", "signed"}, state)
	must(t, h.pool.QueryRow(ctx, `INSERT INTO documents (agency_id, direction, type, subject, secrecy, unit_id, created_by,
			outgoing_state, incoming_state, code_number, code_notation, issued_date, arrival_date)
		VALUES ($1, $2, 'quyet_dinh', 'Văn bản mật ở trạng thái ' || $3, 'mat', $4, $5,
			CASE WHEN $2 = 'outgoing' THEN $3 END, CASE WHEN $2 = 'incoming' THEN $3 END,
			CASE WHEN $6 THEN $7 ELSE '' END, CASE WHEN $6 THEN 'QĐ-UBND' ELSE '' END, CASE WHEN $6 THEN current_date END,
			CASE WHEN $2 = 'incoming' THEN now() END)
		RETURNING id`, h.district, dir, state, unit, h.drafter, numbered, fmt.Sprint(900+len(h.byState))).Scan(&id))
	_, err := h.pool.Exec(ctx, `INSERT INTO document_recipients (document_id, ord, organ_id, name) VALUES ($1, 1, $2, 'UBND xã Yên Ninh')`,
		id, demo.YenNinhID)
	must(t, err)
	return id
}

// outsider creates a user holding every role in one agency, and their API token.
func (h *hiddenDocuments) outsider(t *testing.T, username, organID string) string {
	t.Helper()
	ctx := context.Background()
	var agency int64
	must(t, h.pool.QueryRow(ctx, `SELECT id FROM agencies WHERE organ_id = $1`, organID).Scan(&agency))
	place := access.Placement{AgencyID: agency, Position: "Kiểm tra"}
	for _, r := range access.Roles {
		place.Roles = append(place.Roles, r.Role)
	}
	u := &org.User{Username: username, FullName: "Người kiểm tra quyền"}
	must(t, access.CreateAccount(ctx, h.pool, u, demoPassword, []access.Placement{place}, access.Actor{Name: "cli"}))
	token, err := access.CreateAPIToken(ctx, h.pool, u.ID, "test")
	must(t, err)
	return token
}

// hiddenRequest is what a route is sent: its path and a body fit for it.
type hiddenRequest struct {
	path, contentType string
	body              func() io.Reader
}

// bodies are the body fit for the route and, but for uploads, an empty one: what
// the request says must not change the answer for a hidden document.
func (r hiddenRequest) bodies() []io.Reader {
	switch r.contentType {
	case "application/json":
		return []io.Reader{r.body(), strings.NewReader("{}")}
	case "application/x-www-form-urlencoded":
		return []io.Reader{r.body(), strings.NewReader("")}
	}
	return []io.Reader{r.body()}
}

var stepRoute = regexp.MustCompile(`^(?:api|page)\.(outgoing|incoming)\.([a-z_]+)$`)

// request builds the request for a route on the hidden document it concerns.
func (h *hiddenDocuments) request(route *mux.Route) (hiddenRequest, bool) {
	name := route.GetName()
	api := strings.HasPrefix(name, "api.")
	vars := map[string]int64{"aid": h.assignment, "rid": h.reminder, "record": h.record, "did": h.delegation}
	var fields map[string]any
	var path string
	switch {
	case stepRoute.MatchString(name):
		m := stepRoute.FindStringSubmatch(name)
		vars["id"] = h.byState[m[1]+"/"+fromState(docs.Direction(m[1]), m[2])]
		fields = map[string]any{"note": "Kiểm tra quyền", "record_id": 1}
		switch {
		case m[2] == "assign" && api:
			fields["assignments"] = []map[string]any{{"role": "chu_tri", "user_id": h.drafter, "deadline": "2099-12-31"}}
		case m[2] == "assign":
			fields["lead_unit"], fields["lead_deadline"] = h.unitAbbr, "2099-12-31"
		}
	case name == "api.drafts.edit" || name == "draft.edit":
		vars["id"] = h.byState["outgoing/draft"]
		fields = map[string]any{"type": "quyet_dinh", "subject": "Kiểm tra quyền"}
	case name == "api.drafts.delete" || name == "draft.delete":
		vars["id"] = h.byState["outgoing/draft"]
		fields = map[string]any{"reason": "Kiểm tra quyền"}
	case name == "api.delegations.revoke" || name == "delegation.revoke":
	case name == "api.drafts.version" || name == "api.drafts.attachment" || name == "draft.version":
		vars["id"] = h.byState["outgoing/draft"]
		return h.upload(route, vars, map[string]string{"note": "Kiểm tra quyền"}), true
	case name == "api.drafts.create":
		meta, _ := json.Marshal(map[string]any{"type": "quyet_dinh", "subject": "Thay thế văn bản mật", "replaces_id": h.byState["outgoing/sent"]})
		return h.upload(route, vars, map[string]string{"document": string(meta)}), true
	case name == "api.document.grant" || name == "document.grant":
		vars["id"] = h.byState["outgoing/draft"]
		fields = map[string]any{"user_id": h.drafter}
	case name == "api.assignment.handler" || name == "assignment.handler":
		fields = map[string]any{"user_id": h.drafter}
	case name == "api.assignment.progress" || name == "assignment.progress":
		fields = map[string]any{"percent": 50, "note": "Kiểm tra quyền"}
	case name == "api.document.forward" || name == "document.forward":
		vars["id"] = h.byState["incoming/assigned"]
		fields = map[string]any{"user_id": h.drafter, "note": "Kiểm tra quyền"}
	case name == "api.assignment.reassign" || name == "assignment.reassign":
		fields = map[string]any{"user_id": h.drafter, "note": "Kiểm tra quyền"}
		if !api {
			fields["to"] = fmt.Sprintf("user:%d", h.drafter)
		}
	case name == "api.reminders.dismiss" || name == "reminder.dismiss":
	case name == "api.document.resend" || name == "document.resend":
		u, _ := route.URL("id", fmt.Sprint(h.byState["outgoing/sent"]), "organ", demo.YenNinhID)
		path = u.Path
	case strings.HasSuffix(name, "document.update"):
		vars["id"] = h.byState["outgoing/sent"]
		fields = map[string]any{"subject": "Kiểm tra quyền", "reason": "Kiểm tra quyền"}
	case strings.HasSuffix(name, "document.change/accept") || strings.HasSuffix(name, "document.change/refuse"):
		vars["id"] = h.changeRequested
		fields = map[string]any{"note": "Kiểm tra quyền"}
	case name == "api.document.placement" || name == "document.placement":
		vars["id"] = h.byState["outgoing/signed"]
		placement := map[string]any{"source": "manual", "number": map[string]float64{"llx": 60, "lly": 700, "urx": 200, "ury": 720},
			"date": map[string]float64{"llx": 300, "lly": 700, "urx": 500, "ury": 720}}
		fields = placement
		if !api {
			js, _ := json.Marshal(placement)
			fields = map[string]any{"placement": string(js)}
		}
	case name == "api.document.comment" || name == "document.comment":
		vars["id"] = h.byState["outgoing/draft"]
		fields = map[string]any{"body": "Kiểm tra quyền"}
	case name == "api.record.add" || name == "record.add":
		fields = map[string]any{"document_id": h.byState["outgoing/draft"]}
	case name == "api.record.remove" || name == "record.remove" || name == "api.record.close" || name == "record.close":
		vars["id"] = h.byState["incoming/completed"]
	case name == "sign.remote":
		vars["id"] = h.byState["outgoing/"+fromState(docs.Outgoing, "sign")]
		fields = map[string]any{"credential": "demo-csc:chairman", "note": "Kiểm tra quyền"}
	case name == "sign.prepare" || name == "api.sign.prepare":
		vars["id"] = h.byState["outgoing/"+fromState(docs.Outgoing, "sign")]
		fields = map[string]any{"device": "agent", "certificate": "AAAA", "note": "Kiểm tra quyền"}
		api = true // a JSON endpoint of the page too
	case name == "api.internal.send":
		vars["id"] = h.byState["outgoing/signed"]
		fields = map[string]any{"user_ids": []int64{h.drafter}}
	case name == "internal.send":
		vars["id"] = h.byState["outgoing/signed"]
		fields = map[string]any{"user_id": h.drafter}
	case strings.HasPrefix(name, "api.internal.") || name == "internal.handled":
		vars["id"] = h.byState["outgoing/signed"]
		fields = map[string]any{"note": "Kiểm tra quyền"}
	default:
		return hiddenRequest{}, false
	}
	if path == "" {
		path = fillPath(route, vars)
	}
	if api {
		body, _ := json.Marshal(fields)
		return hiddenRequest{path: path, contentType: "application/json", body: func() io.Reader { return bytes.NewReader(body) }}, true
	}
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, fmt.Sprint(v))
	}
	return hiddenRequest{path: path, contentType: "application/x-www-form-urlencoded",
		body: func() io.Reader { return strings.NewReader(form.Encode()) }}, true
}

// upload is a multipart request with a PDF in the field "file".
func (h *hiddenDocuments) upload(route *mux.Route, vars map[string]int64, fields map[string]string) hiddenRequest {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	part, _ := mw.CreateFormFile("file", "kiem-tra.pdf")
	io.WriteString(part, minimalPDF)
	mw.Close()
	body := buf.Bytes()
	return hiddenRequest{path: fillPath(route, vars), contentType: mw.FormDataContentType(),
		body: func() io.Reader { return bytes.NewReader(body) }}
}

// fromState is the first state a step of a lifecycle starts from.
func fromState(dir docs.Direction, action string) string {
	for _, a := range docs.Actions(dir) {
		if a.Action == action {
			return a.From[0]
		}
	}
	return ""
}

// fillPath fills a route's variables; paths are relative to /api/v1 for API routes.
func fillPath(route *mux.Route, vars map[string]int64) string {
	var pairs []string
	names, _ := route.GetVarNames()
	for _, n := range names {
		pairs = append(pairs, n, fmt.Sprint(vars[n]))
	}
	u, _ := route.URL(pairs...)
	return u.Path
}

// raw sends a request to a path of the server (not relative to the API) and returns
// the status and body, without following redirects.
func (c *apiClient) raw(method, path, contentType string, body io.Reader) (int, string) {
	c.t.Helper()
	base := strings.TrimSuffix(c.base, "/api/v1")
	req, _ := http.NewRequest(method, base+path, body)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", contentType)
	resp, err := noRedirect().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// snapshot fingerprints every table a document step may write.
func snapshot(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"documents", "document_files", "document_transitions", "document_recipients", "document_grants",
		"assignments", "document_reminders", "river_job", "record_documents", "records", "blobs", "number_counters", "audit_log",
		"document_change_requests", "document_recipient_events", "document_handovers"} {
		var sum string
		must(t, pool.QueryRow(context.Background(), `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '')
			FROM `+pgx.Identifier{table}.Sanitize()+` t`).Scan(&sum))
		out[table] = sum
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDrafterGrantsSecretDraft: the drafter of a secret draft, a specialist without
// secret:read, hands it to the people who must handle it, through the API and the
// document page; before the grant they cannot act on it.
func TestDrafterGrantsSecretDraft(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	ctx := context.Background()
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	unitHead := newAPIClient(t, ts, srv, "truongphong.tckh")
	draft := map[string]any{"type": "ke_hoach", "subject": "Kế hoạch mật về bảo vệ bí mật nhà nước", "secrecy": "mat", "request_key": "mat-1"}
	status, out := specialist.upload("/documents", draft, minimalPDF)
	if status != http.StatusCreated {
		t.Fatalf("create secret draft: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	specialist.step(id, "outgoing", "submit", `{"note": "Kính trình"}`)
	approve := fmt.Sprintf("/documents/%d/outgoing/approve", id)
	if status, out := unitHead.do("POST", approve, "application/json", strings.NewReader(`{}`)); status != http.StatusNotFound {
		t.Fatalf("approval before the grant: %d %v", status, out)
	}
	head, err := org.UserByUsername(ctx, srv.Pool(), "truongphong.tckh")
	must(t, err)
	grant := fmt.Sprintf(`{"user_id": %d}`, head.ID)
	if status, out := specialist.do("POST", fmt.Sprintf("/documents/%d/grants", id), "application/json", strings.NewReader(grant)); status != http.StatusOK {
		t.Fatalf("grant by the drafter: %d %v", status, out)
	}
	unitHead.step(id, "outgoing", "approve", `{"note": "Đồng ý"}`)

	b := newBrowser(t, ts.URL)
	b.login("chuyenvien.tckh", demoPassword)
	_, page := b.get(fmt.Sprintf("/documents/%d", id))
	if !strings.Contains(page, "Cấp quyền xem") {
		t.Fatal("the document page offers the drafter no grant form")
	}
	leader, err := org.UserByUsername(ctx, srv.Pool(), "chutich.huyen")
	must(t, err)
	status, page = b.post(fmt.Sprintf("/documents/%d/grants", id), url.Values{"csrf_token": {csrfField.FindStringSubmatch(page)[1]},
		"user_id": {fmt.Sprint(leader.ID)}})
	if status != http.StatusOK || !strings.Contains(page, "Đã cấp quyền xem văn bản mật.") {
		t.Fatalf("grant from the document page: %d", status)
	}
	chairman := newAPIClient(t, ts, srv, "chutich.huyen")
	if status, out := chairman.do("GET", fmt.Sprintf("/documents/%d", id), "", nil); status != http.StatusOK {
		t.Fatalf("the leader cannot read the draft granted to them: %d %v", status, out)
	}
}
