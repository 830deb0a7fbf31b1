package docs

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"edms/schemas"
)

// outboxMigration is the migration that moves document_outbox's contents into
// document_reminders, document_files and River, then drops it.
const outboxMigration = 51

// TestOutboxMigrationMovesWhatUsersHad runs the migration on a database whose outbox
// holds every kind of row (its down step brings the table back): reminders (one
// dismissed), a failed and a waiting conversion, a send and a recall never
// delivered, statuses for an exchanged document and a delivered local one.
func TestOutboxMigrationMovesWhatUsersHad(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	migrations, err := fs.Sub(schemas.Migrations, "migrations")
	must(t, err)
	provider, err := goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(f.pool), migrations, goose.WithAllowOutofOrder(true))
	must(t, err)

	tomorrow := f.svc.today().AddDate(0, 0, 1)
	incoming := f.receive(t, "Văn bản cần nhắc", "5", nil).DocumentID
	f.registerAndAssign(t, incoming, []AssignmentInput{{Role: RoleLead, UserID: f.tpSpecialist, Deadline: &tomorrow},
		{Role: RoleCoordinate, UnitID: f.unitVP, Deadline: &tomorrow}})
	as, err := Assignments(ctx, f.pool, incoming)
	must(t, err)
	sent := f.sealed(t, "Về việc chưa gửi được", []Recipient{province, ministry})
	must(t, f.svc.Send(ctx, f.in(f.clerk), sent, ""))
	draft := f.draft(t, TypeBaoCao, "Dự thảo chờ chuyển", nil)
	files, err := Files(ctx, f.pool, draft)
	must(t, err)

	_, err = provider.ApplyVersion(ctx, outboxMigration, false)
	must(t, err)
	var mark int64
	must(t, f.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM river_job`).Scan(&mark))
	today := f.svc.today().Format(time.DateOnly)
	_, err = f.pool.Exec(ctx, `
		INSERT INTO document_outbox (kind, document_id, code, payload, done_at) VALUES
		('reminder', $1, '', jsonb_build_object('key', 'due:' || $2::bigint || ':' || $4::text, 'assignment_id', $2::bigint,
			'deadline', $5::text, 'days_left', 1, 'user_id', $6::bigint, 'unit_id', NULL), NULL),
		('reminder', $1, '', jsonb_build_object('key', 'due:' || $3::bigint || ':' || $4::text, 'assignment_id', $3::bigint,
			'deadline', $5::text, 'days_left', 1, 'user_id', NULL, 'unit_id', $7::bigint), now()),
		('convert', $8, '', jsonb_build_object('file_id', $9::bigint, 'version', 1, 'failure', 'Không chuyển được tệp DOCX sang PDF.'), NULL),
		('convert', $8, '', jsonb_build_object('file_id', $9::bigint, 'version', 1), NULL),
		('send', $10, '', jsonb_build_object('organ_id', '000.00.00.H55', 'name', 'UBND tỉnh', 'replaces_id', 0), NULL),
		('recall', $10, '', jsonb_build_object('organ_id', '000.00.00.G12', 'reason', 'Sai thể thức'), NULL),
		('status', $1, '03', jsonb_build_object('code', '03', 'note', 'Đã vào sổ', 'local', false,
			'external_id', 'DOC-1', 'sender_organ_id', '000.00.00.H55'), NULL),
		('status', $1, '04', jsonb_build_object('code', '04', 'note', '', 'local', true), now())`,
		incoming, as[0].ID, as[1].ID, today, tomorrow.Format(time.DateOnly), f.tpSpecialist, f.unitVP, draft, files[0].ID, sent)
	must(t, err)
	_, err = f.pool.Exec(ctx, `UPDATE document_recipients SET status = 'sent', package_id = '' WHERE document_id = $1`, sent)
	must(t, err)

	_, err = provider.ApplyVersion(ctx, outboxMigration, true)
	must(t, err)

	mine, err := f.svc.Reminders(ctx, f.in(f.tpSpecialist))
	must(t, err)
	if len(mine) != 1 || mine[0].AssignmentID != as[0].ID || mine[0].DaysLeft != 1 || !mine[0].Deadline.Equal(tomorrow) {
		t.Fatalf("the specialist's reminders after the migration: %+v", mine)
	}
	if n, err := QueueReminders(ctx, f.pool, f.svc.today(), 1); err != nil || n != 0 {
		t.Fatalf("reminders queued again on the same day: %d, %v (the dismissed one must count too)", n, err)
	}
	if failures, err := ConversionFailures(ctx, f.pool, draft); err != nil || len(failures) != 1 {
		t.Fatalf("conversion failures after the migration: %+v, %v", failures, err)
	}

	var kinds []string
	rows, err := f.pool.Query(ctx, `SELECT kind || ' ' || queue FROM river_job WHERE id > $1 ORDER BY id`, mark)
	must(t, err)
	for rows.Next() {
		var k string
		must(t, rows.Scan(&k))
		kinds = append(kinds, k)
	}
	must(t, rows.Err())
	want := []string{"docs.convert_docx default", "exchange.send_package exchange", "exchange.send_package exchange", "exchange.send_status exchange"}
	if len(kinds) != len(want) {
		t.Fatalf("jobs made from the waiting work: %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("jobs made from the waiting work: %v, want %v", kinds, want)
		}
	}
	packages := queuedJobs[SendPackageArgs](t, f.pool)
	moved := packages[len(packages)-2:]
	if moved[0].Recipient != province.OrganID || moved[0].Business != BusinessNew ||
		moved[1].Recipient != ministry.OrganID || moved[1].Business != BusinessRevoke || moved[1].Reason != "Sai thể thức" {
		t.Fatalf("packages moved: %+v", moved)
	}
	for _, p := range moved {
		var status, packageID string
		must(t, f.pool.QueryRow(ctx, `SELECT status, package_id FROM document_recipients WHERE document_id = $1 AND organ_id = $2`,
			sent, p.Recipient).Scan(&status, &packageID))
		if status != string(RecipientSending) || packageID != p.PackageID {
			t.Errorf("%s is %s with package %q after the migration, want sending with its job's %q", p.Recipient, status, packageID, p.PackageID)
		}
	}
	statuses := queuedJobs[SendStatusArgs](t, f.pool)
	if st := statuses[len(statuses)-1]; st.Code != "03" || st.To != "000.00.00.H55" || st.ResponseFor != "DOC-1" ||
		st.AgencyID != f.district || st.DocumentID != incoming || st.Note != "Đã vào sổ" || st.PackageID == "" || st.At.IsZero() {
		t.Fatalf("status moved: %+v", st)
	}
	var exists bool
	must(t, f.pool.QueryRow(ctx, `SELECT to_regclass('document_outbox') IS NOT NULL`).Scan(&exists))
	if exists {
		t.Error("document_outbox is still there")
	}
}
