package docs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
)

// RegisterKind is one of the registers of Phụ lục IV.
type RegisterKind string

// The registers.
const (
	RegisterOutgoing RegisterKind = "outgoing" // Sổ đăng ký văn bản đi
	RegisterIncoming RegisterKind = "incoming" // Sổ đăng ký văn bản đến
	RegisterFollowUp RegisterKind = "followup" // Sổ theo dõi giải quyết văn bản đến
)

// Register is a register of an agency for a period (a year, or any range of dates):
// its title, its columns (with their relative widths) and its rows, as printed.
type Register struct {
	Kind     RegisterKind
	From, To time.Time
	Table
}

// Table is what is printed or exported: a title, the columns and the rows.
type Table struct {
	Title    string
	Subtitle string
	Agency   string
	Columns  []RegisterColumn
	Rows     [][]string
}

// RegisterColumn is a column heading and its share of the page width.
type RegisterColumn struct {
	Heading string
	Width   float64
}

// registerLayouts are the registers' titles, columns and queries. Each query starts
// with @hidden (the row is a document the reader may not open, and whether it is
// secret), then the cells; number is the column of the row's number, the one cell
// of a hidden row that is printed.
var registerLayouts = map[RegisterKind]struct {
	title   string
	columns []RegisterColumn
	number  int
	query   string
}{
	RegisterOutgoing: {"SỔ ĐĂNG KÝ VĂN BẢN ĐI", []RegisterColumn{
		{"Số, ký hiệu văn bản", 10}, {"Ngày tháng văn bản", 8}, {"Tên loại và trích yếu nội dung văn bản", 22},
		{"Người ký", 10}, {"Nơi nhận văn bản", 13}, {"Đơn vị, người nhận bản lưu", 9}, {"Số lượng bản", 5},
		{"Ngày chuyển", 7}, {"Ký nhận", 7}, {"Ghi chú", 9},
	}, 0, `
		SELECT @hidden, d.code_number || '/' || d.code_notation, to_char(d.issued_date, 'DD/MM/YYYY'),
			@type_name || ' ' || d.subject,
			concat_ws(' ', nullif(d.signer_competence, ''), nullif(d.signer_position, ''), d.signer_name),
			coalesce((SELECT string_agg(r.name, '; ' ORDER BY r.ord) FROM document_recipients r WHERE r.document_id = d.id), ''),
			coalesce(u.name, ''), CASE WHEN d.issued_amount > 0 THEN d.issued_amount::text ELSE '' END,
			coalesce((SELECT to_char(min(t.at) AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY') FROM document_transitions t
				WHERE t.document_id = d.id AND t.action = 'send'), ''),
			'', concat_ws(' ', CASE WHEN d.secrecy <> 'thuong' THEN 'Mật' END,
				CASE d.outgoing_state WHEN 'recalled' THEN 'Đã thu hồi' WHEN 'replaced' THEN 'Đã bị thay thế' END)
		FROM documents d LEFT JOIN units u ON u.id = d.unit_id
		WHERE d.agency_id = @agency AND d.direction = 'outgoing' AND d.code_number <> ''
		  AND extract(year FROM d.issued_date) BETWEEN extract(year FROM @from::date) AND extract(year FROM @to::date)
		  AND d.issued_date BETWEEN @from AND @to
		ORDER BY d.secrecy <> 'thuong', d.issued_date, d.id`},
	RegisterIncoming: {"SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", []RegisterColumn{
		{"Ngày đến", 7}, {"Số đến", 5}, {"Tác giả", 13}, {"Số, ký hiệu văn bản", 10}, {"Ngày tháng văn bản", 8},
		{"Tên loại và trích yếu nội dung", 24}, {"Đơn vị hoặc người nhận", 12}, {"Ngày chuyển", 7}, {"Ký nhận", 7}, {"Ghi chú", 7},
	}, 1, `
		SELECT @hidden, to_char(d.arrival_date AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'), docs_number(d.arrival_number), d.issuer_name,
			concat_ws('/', nullif(d.code_number, ''), nullif(d.code_notation, '')), coalesce(to_char(d.issued_date, 'DD/MM/YYYY'), ''),
			@type_name || ' ' || d.subject, coalesce(@assignees, ''),
			coalesce((SELECT to_char(min(x.assigned_at) AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY') FROM assignments x
				WHERE x.document_id = d.id), ''),
			'', concat_ws(' ', CASE WHEN d.paper THEN 'Bản giấy' END, CASE WHEN d.secrecy <> 'thuong' THEN 'Mật' END)
		FROM documents d
		WHERE d.agency_id = @agency AND d.direction = 'incoming' AND @arrived_between
		ORDER BY d.arrival_year, d.arrival_number`},
	RegisterFollowUp: {"SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN", []RegisterColumn{
		{"Số đến", 6}, {"Tên loại, số, ký hiệu, ngày tháng, trích yếu nội dung", 30}, {"Đơn vị, người nhận", 15},
		{"Thời hạn giải quyết", 9}, {"Tiến độ giải quyết", 15}, {"Số, ký hiệu văn bản trả lời", 12}, {"Ghi chú", 13},
	}, 0, `
		SELECT @hidden, docs_number(d.arrival_number),
			concat_ws(' ', @type_name, nullif(concat_ws('/', nullif(d.code_number, ''), nullif(d.code_notation, '')), ''),
				'ngày ' || to_char(d.issued_date, 'DD/MM/YYYY'), d.subject),
			coalesce(@assignees, ''), coalesce(to_char(d.due_date, 'DD/MM/YYYY'), ''),
			coalesce((SELECT CASE WHEN x.completed_at IS NOT NULL
					THEN 'Hoàn thành ' || to_char(x.completed_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY')
					ELSE x.progress || '%' || coalesce(': ' || nullif(x.progress_note, ''), '') END
				FROM assignments x WHERE x.document_id = d.id AND x.role = 'chu_tri'), ''),
			coalesce((SELECT r.code_number || '/' || r.code_notation FROM assignments x JOIN documents r ON r.id = x.reply_document_id
				WHERE x.document_id = d.id AND x.role = 'chu_tri' AND r.code_number <> ''), ''),
			CASE WHEN d.completed_at IS NULL AND d.due_date < @today THEN 'Quá hạn' ELSE '' END
		FROM documents d
		WHERE d.agency_id = @agency AND d.direction = 'incoming' AND @arrived_between
		  AND EXISTS (SELECT 1 FROM assignments x WHERE x.document_id = d.id)
		ORDER BY d.arrival_year, d.arrival_number`},
}

// assigneesSQL lists who received a document: chủ trì first, with their role.
const assigneesSQL = `(SELECT string_agg(coalesce(un.name, us.full_name) ||
		CASE x.role WHEN 'chu_tri' THEN ' (chủ trì)' WHEN 'phoi_hop' THEN ' (phối hợp)' ELSE ' (để biết)' END, '; '
		ORDER BY array_position(ARRAY['chu_tri', 'phoi_hop', 'de_biet'], x.role), x.id)
	FROM assignments x LEFT JOIN units un ON un.id = x.unit_id LEFT JOIN users us ON us.id = x.user_id
	WHERE x.document_id = d.id)`

// typeNameSQL prints the type name from the catalogue.
func typeNameSQL() string {
	sql := "CASE d.type"
	for _, t := range Types {
		sql += " WHEN '" + string(t.Code) + "' THEN '" + t.Name + "'"
	}
	return sql + " END"
}

// arrivedBetweenSQL selects what arrived between @from and @to (dates); the years
// bound it first so that the arrival number's index is used (the outgoing register
// does the same for the issued number's index).
const arrivedBetweenSQL = `d.arrival_year BETWEEN extract(year FROM @from::date) AND extract(year FROM @to::date)
	AND (d.arrival_date AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN @from AND @to`

// LoadRegister reads a register of the actor's agency for a year.
func (s *Service) LoadRegister(ctx context.Context, a Actor, kind RegisterKind, year int) (*Register, error) {
	return s.LoadRegisterPeriod(ctx, a, kind, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
}

// LoadRegisterPeriod reads a register of the actor's agency for the dates from to to
// (inclusive). The registers apply the visibility rule of documents: an entry the
// reader may not open shows its number only, and "Mật" when it is secret (Nghị định 30).
func (s *Service) LoadRegisterPeriod(ctx context.Context, a Actor, kind RegisterKind, from, to time.Time) (*Register, error) {
	if to.Before(from) {
		return nil, invalid("Ngày kết thúc phải sau ngày bắt đầu.", "register period %s..%s", from, to)
	}
	layout, ok := registerLayouts[kind]
	if !ok {
		return nil, invalid("Loại sổ không hợp lệ.", "unknown register %q", kind)
	}
	if err := s.require(a, access.RegisterPrint, "văn thư hoặc lãnh đạo"); err != nil {
		return nil, err
	}
	v, err := s.viewer(ctx, s.Pool, a)
	if err != nil {
		return nil, err
	}
	reg := &Register{Kind: kind, From: from, To: to,
		Table: Table{Title: layout.title, Subtitle: periodLabel(from, to), Columns: layout.columns}}
	if err := s.Pool.QueryRow(ctx, `SELECT name FROM agencies WHERE id = $1`, a.AgencyID).Scan(&reg.Agency); err != nil {
		return nil, fmt.Errorf("docs: unable to read the agency: %w", err)
	}
	sql := strings.NewReplacer("@type_name", typeNameSQL(), "@assignees", assigneesSQL, "@arrived_between", arrivedBetweenSQL,
		"@hidden", "NOT "+v.sql()+", d.secrecy <> 'thuong'").Replace(layout.query)
	rows, err := s.Pool.Query(ctx, sql, v.args(pgx.NamedArgs{"agency": a.AgencyID, "from": from, "to": to, "today": s.today()}))
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the register: %w", err)
	}
	reg.Rows, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) ([]string, error) {
		var hidden, secret bool
		cells := make([]string, len(layout.columns))
		ptrs := []any{&hidden, &secret}
		for i := range cells {
			ptrs = append(ptrs, &cells[i])
		}
		if err := row.Scan(ptrs...); err != nil || !hidden {
			return cells, err
		}
		return hiddenEntry(cells[layout.number], layout.number, len(cells), secret), nil
	})
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the register rows: %w", err)
	}
	return reg, nil
}

// hiddenEntry is the row of an entry the reader may not open: its number, in its
// column, and "Mật" in the last column (Ghi chú) when it is secret.
func hiddenEntry(number string, column, columns int, secret bool) []string {
	cells := make([]string, columns)
	cells[column] = number
	if secret {
		cells[columns-1] = SecrecyMat.Label()
	}
	return cells
}

// periodLabel is the line under a register's title: the year, or the dates.
func periodLabel(from, to time.Time) string {
	if from.YearDay() == 1 && to.Year() == from.Year() && to.Month() == time.December && to.Day() == 31 {
		return "Năm " + strconv.Itoa(from.Year())
	}
	return "Từ ngày " + from.Format("02/01/2006") + " đến ngày " + to.Format("02/01/2006")
}

// printedAt is when a register was printed, in Vietnam time.
func printedAt(t time.Time) string { return t.In(vietnam).Format("15:04 02/01/2006") }
