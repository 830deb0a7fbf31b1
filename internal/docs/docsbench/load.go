package docsbench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/docs"
)

// Vocabulary the subjects are composed from, so that text search meets realistic
// Vietnamese with realistic word frequencies.
var (
	subjectHeads = []string{"Về việc triển khai", "Về việc báo cáo", "Về việc phê duyệt", "Về việc hướng dẫn",
		"Về việc tăng cường", "Về việc tổ chức", "Về việc kiện toàn", "Về việc đôn đốc", "Về việc thực hiện",
		"Về việc rà soát", "Về việc bố trí", "Về việc góp ý dự thảo"}
	subjectTopics = []string{"kế hoạch chuyển đổi số", "dự toán ngân sách năm", "công tác phòng chống thiên tai",
		"cải cách hành chính", "quản lý đất đai", "chương trình giáo dục phổ thông", "tiếp công dân định kỳ",
		"xây dựng nông thôn mới", "phòng chống dịch bệnh", "an toàn giao thông", "bảo vệ môi trường",
		"thu thập dữ liệu dân cư", "chi trả trợ cấp xã hội", "quy hoạch sử dụng đất", "kiểm tra việc thực hiện quyết định"}
	subjectPlaces = []string{"trên địa bàn xã", "tại các thôn, xóm", "trong toàn tỉnh", "của các phòng, ban",
		"quý I", "quý II", "6 tháng đầu năm", "năm 2025", "năm 2026", "giai đoạn 2026-2030"}
)

const batchSize = 100_000

// loadDocuments generates n documents spread over the agencies and three years:
// half incoming (states from received to filed, most of them assigned to a unit with a
// handler and a deadline), half outgoing (drafts to sent), 2% secret.
func loadDocuments(ctx context.Context, pool *pgxpool.Pool, f *Directory, n int, log io.Writer) error {
	types := make([]string, len(docs.Types))
	for i, t := range docs.Types {
		types[i] = string(t.Code)
	}
	// One connection with synchronous commits: a throw-away cluster commits
	// asynchronously, and VACUUM cannot mark pages all-visible before the commits that
	// wrote them are flushed.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET synchronous_commit = on`); err != nil {
		return err
	}
	for from := 1; from <= n; from += batchSize {
		to := min(from+batchSize-1, n)
		t0 := time.Now()
		_, err := conn.Exec(ctx, insertDocumentsSQL, from, to, f.Agencies, f.Units, f.Clerks, f.Specialists, types,
			subjectHeads, subjectTopics, subjectPlaces, unitsPerAgency)
		if err != nil {
			return fmt.Errorf("docsbench: loading documents %d–%d: %w", from, to, err)
		}
		fmt.Fprintf(log, "documents %7d–%7d loaded in %s\n", from, to, time.Since(t0).Round(time.Millisecond))
	}
	if _, err := conn.Exec(ctx, insertAssignmentsSQL, f.Agencies, f.Units, f.Specialists, f.Leaders, unitsPerAgency); err != nil {
		return fmt.Errorf("docsbench: loading assignments: %w", err)
	}
	// Vacuum as autovacuum would have done on a live system: statistics, and the
	// visibility map that lets the visibility rule read assignments from the index only.
	for _, table := range []string{"assignments", "documents"} {
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			return fmt.Errorf("docsbench: analysing %s: %w", table, err)
		}
		var pages, visible int
		if err := conn.QueryRow(ctx, `SELECT relpages, relallvisible FROM pg_class WHERE relname = $1`, table).Scan(&pages, &visible); err != nil {
			return err
		}
		fmt.Fprintf(log, "%s: %d pages, %d all-visible after VACUUM\n", table, pages, visible)
	}
	return nil
}

// insertDocumentsSQL creates documents $1..$2. h1..h9 are independent hashes of the
// row number, one per attribute, so that attributes are not correlated (a unit's
// documents cover every topic); created_at grows with the row number (about 90 s apart).
const insertDocumentsSQL = `
WITH g AS (
	SELECT i, abs(hashint4(i)) AS h1, abs(hashint4(i + 7919)) AS h2, abs(hashint4(i + 104729)) AS h3,
		abs(hashint4(i + 15485863)) AS h4, abs(hashint4(i + 32452843)) AS h5, abs(hashint4(i + 49979687)) AS h6,
		abs(hashint4(i + 67867967)) AS h7, abs(hashint4(i + 86028121)) AS h8, abs(hashint4(i + 104395301)) AS h9,
		(i - 1) % cardinality($3::bigint[]) AS a,
		timestamptz '2024-01-01 08:00:00+07' + i * interval '90 seconds' AS at
	FROM generate_series($1::int, $2::int) i
), r AS (
	SELECT g.*, CASE WHEN h1 % 2 = 0 THEN 'incoming' ELSE 'outgoing' END AS direction,
		(a * $11::int) + h9 % $11::int AS unit_index
	FROM g
)
INSERT INTO documents (agency_id, direction, type, subject, content, code_number, code_notation, issued_date,
	issuer_organ_id, issuer_name, urgency, secrecy, unit_id, created_by, created_at, outgoing_state,
	incoming_state, arrival_number, arrival_year, arrival_date, due_date, digital, paper)
SELECT ($3::bigint[])[a + 1], direction, ($7::text[])[h2 % cardinality($7::text[]) + 1],
	($8::text[])[h4 % cardinality($8::text[]) + 1] || ' ' || ($9::text[])[h5 % cardinality($9::text[]) + 1] || ' ' ||
		($10::text[])[h6 % cardinality($10::text[]) + 1],
	'',
	CASE WHEN direction = 'incoming' OR h3 % 10 >= 6 THEN i::text ELSE '' END,
	CASE WHEN direction = 'incoming' OR h3 % 10 >= 6 THEN 'UBND-VP' ELSE '' END,
	CASE WHEN direction = 'incoming' OR h3 % 10 >= 6 THEN at::date END,
	CASE WHEN direction = 'incoming' THEN '000.00.00.H55' ELSE '' END,
	CASE WHEN direction = 'incoming' THEN 'Ủy ban nhân dân tỉnh Thái Nguyên' ELSE '' END,
	(ARRAY['thuong', 'thuong', 'thuong', 'thuong', 'thuong', 'thuong', 'thuong', 'khan', 'thuong_khan', 'hoa_toc'])[h7 % 10 + 1],
	CASE WHEN h8 % 50 = 0 THEN 'mat' ELSE 'thuong' END,
	CASE WHEN direction = 'outgoing' THEN ($4::bigint[])[unit_index + 1] END,
	CASE WHEN direction = 'outgoing' THEN ($6::bigint[])[unit_index + 1] ELSE ($5::bigint[])[a + 1] END,
	at,
	CASE WHEN direction = 'outgoing' THEN (ARRAY['draft', 'in_review', 'returned', 'approved', 'pending_signature',
		'signed', 'numbered', 'sealed', 'sent', 'sent'])[h3 % 10 + 1] END,
	CASE WHEN direction = 'incoming' THEN (ARRAY['received', 'registered', 'submitted', 'assigned', 'assigned',
		'in_progress', 'completed', 'completed', 'completed', 'filed'])[h3 % 10 + 1] END,
	CASE WHEN direction = 'incoming' AND h3 % 10 > 0 THEN i END,
	CASE WHEN direction = 'incoming' AND h3 % 10 > 0 THEN extract(year FROM at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int END,
	CASE WHEN direction = 'incoming' THEN at END,
	CASE WHEN direction = 'incoming' AND h3 % 10 >= 3 THEN at::date + 10 END,
	h1 % 20 <> 0, direction = 'incoming' AND h1 % 20 = 0
FROM r`

// insertAssignmentsSQL gives every assigned-or-later incoming document a chủ trì unit
// with a handler (the unit's specialist) and completes the completed ones.
const insertAssignmentsSQL = `
INSERT INTO assignments (document_id, role, unit_id, deadline, assigned_by, assigned_at, handler_id, progress, completed_at)
SELECT d.id, 'chu_tri', ($2::bigint[])[k + 1], d.due_date, ($4::bigint[])[a + 1], d.created_at + interval '2 hours',
	($3::bigint[])[k + 1],
	CASE WHEN d.incoming_state IN ('completed', 'filed') THEN 100 WHEN d.incoming_state = 'in_progress' THEN 50 ELSE 0 END,
	CASE WHEN d.incoming_state IN ('completed', 'filed') THEN d.created_at + (abs(hashint4(d.id::int)) % 15) * interval '1 day' END
FROM (
	SELECT d.*, array_position($1::bigint[], d.agency_id) - 1 AS a,
		(array_position($1::bigint[], d.agency_id) - 1) * $5::int + abs(hashint4(d.id::int + 31)) % $5::int AS k
	FROM documents d
	WHERE d.direction = 'incoming' AND d.incoming_state IN ('assigned', 'in_progress', 'completed', 'filed') AND d.secrecy = 'thuong'
) d`
