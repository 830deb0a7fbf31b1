package docs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
)

// HandlingStats are the figures a district reports on incoming documents: counted
// over the lead (chủ trì) assignments made in a period.
type HandlingStats struct {
	UnitID    int64 // 0 in the per-person and total rows
	UserID    int64 // 0 in the per-unit and total rows
	Assigned  int   // lead assignments made in the period
	OnTime    int   // completed on or before the deadline
	Late      int   // completed after the deadline
	Overdue   int   // still open, deadline passed
	Open      int   // still open, within the deadline
	Online    int   // received electronically and handled in the system
	Digitised int   // with an electronic file (scanned when received on paper)
}

// Share returns part/whole as a percentage (0 when whole is 0).
func Share(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// OnTimeShare is the share of documents handled on time among those that are due:
// completed ones and open ones past their deadline.
func (h HandlingStats) OnTimeShare() float64 { return Share(h.OnTime, h.OnTime+h.Late+h.Overdue) }

// OnlineShare is the share of documents received and handled fully online.
func (h HandlingStats) OnlineShare() float64 { return Share(h.Online, h.Assigned) }

// DigitisedShare is the share of documents with an electronic file.
func (h HandlingStats) DigitisedShare() float64 { return Share(h.Digitised, h.Assigned) }

// Statistics is the report of an agency for a period: the total, then one row per
// unit and one per person.
type Statistics struct {
	Total   HandlingStats
	Units   []HandlingStats
	Persons []HandlingStats
}

// Statistics computes the handling figures of the actor's agency for assignments made
// between from and to (dates, inclusive).
func (s *Service) Statistics(ctx context.Context, a Actor, from, to time.Time) (Statistics, error) {
	if err := s.require(a, access.ReportRead, "lãnh đạo hoặc văn thư"); err != nil {
		return Statistics{}, err
	}
	rows, err := s.Pool.Query(ctx, `
		WITH lead AS (
			SELECT x.deadline, (x.completed_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS done,
				coalesce(x.unit_id, m.unit_id) AS unit, coalesce(x.handler_id, x.user_id) AS person,
				d.digital AS online,
				EXISTS (SELECT 1 FROM document_files f WHERE f.document_id = d.id AND f.kind = 'main') AS digitised
			FROM assignments x
			JOIN documents d ON d.id = x.document_id
			LEFT JOIN memberships m ON m.user_id = x.user_id AND m.agency_id = d.agency_id
			WHERE d.agency_id = $1 AND x.role = 'chu_tri' AND d.incoming_state NOT IN ('recalled', 'replaced')
			  AND (x.assigned_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN $2::date AND $3::date)
		SELECT grouping(unit), grouping(person), coalesce(unit, 0), coalesce(person, 0), count(*),
			count(*) FILTER (WHERE done <= deadline), count(*) FILTER (WHERE done > deadline),
			count(*) FILTER (WHERE done IS NULL AND deadline < $4::date),
			count(*) FILTER (WHERE done IS NULL AND deadline >= $4::date),
			count(*) FILTER (WHERE online), count(*) FILTER (WHERE digitised)
		FROM lead
		GROUP BY GROUPING SETS ((), (unit), (person))
		ORDER BY 1 DESC, 2 DESC, 3, 4`, a.AgencyID, from, to, s.today())
	if err != nil {
		return Statistics{}, fmt.Errorf("docs: unable to compute statistics: %w", err)
	}
	var st Statistics
	var unitGrouped, personGrouped int
	var h HandlingStats
	_, err = pgx.ForEachRow(rows, []any{&unitGrouped, &personGrouped, &h.UnitID, &h.UserID, &h.Assigned, &h.OnTime,
		&h.Late, &h.Overdue, &h.Open, &h.Online, &h.Digitised}, func() error {
		switch {
		case unitGrouped == 1 && personGrouped == 1:
			st.Total = h
		case personGrouped == 1:
			st.Units = append(st.Units, h)
		default:
			st.Persons = append(st.Persons, h)
		}
		return nil
	})
	if err != nil {
		return Statistics{}, fmt.Errorf("docs: unable to read statistics: %w", err)
	}
	return st, nil
}

// MonthCount is how many documents of the agency came in and went out in a month,
// by the date a document is filed under (issued, else arrived, else created).
type MonthCount struct {
	Month              time.Time // first day of the month
	Incoming, Outgoing int
}

// UnitCount is a count of one unit.
type UnitCount struct {
	UnitID int64
	Count  int
}

// Dashboard is what the leaders' dashboard draws: documents per month, the handling
// figures per unit and person, and the documents overdue now per unit. Each figure
// counts what the list's filters select, so that a chart drills down to its list.
type Dashboard struct {
	Months   []MonthCount
	Handling Statistics
	Overdue  []UnitCount
}

// Dashboard computes the dashboard of the actor's agency for the dates from to to.
func (s *Service) Dashboard(ctx context.Context, a Actor, from, to time.Time) (Dashboard, error) {
	handling, err := s.Statistics(ctx, a, from, to)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{Handling: handling}
	if d.Months, err = s.monthCounts(ctx, a.AgencyID, from, to); err != nil {
		return Dashboard{}, err
	}
	if d.Overdue, err = s.overdueByUnit(ctx, a.AgencyID); err != nil {
		return Dashboard{}, err
	}
	return d, nil
}

func (s *Service) monthCounts(ctx context.Context, agency int64, from, to time.Time) ([]MonthCount, error) {
	rows, err := s.Pool.Query(ctx, `
		SELECT m::date, count(d.id) FILTER (WHERE d.direction = 'incoming'), count(d.id) FILTER (WHERE d.direction = 'outgoing')
		FROM generate_series(date_trunc('month', $2::date), $3::date, interval '1 month') m
		LEFT JOIN documents d ON d.agency_id = $1 AND date_trunc('month', `+documentDate+`) = m
			AND `+documentDate+` BETWEEN $2::date AND $3::date
		GROUP BY m ORDER BY m`, agency, from, to)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to count documents per month: %w", err)
	}
	months, err := pgx.CollectRows(rows, pgx.RowToStructByPos[MonthCount])
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read documents per month: %w", err)
	}
	return months, nil
}

// overdueByUnit counts the open incoming documents past their deadline per unit that
// drafted or was assigned them, as the list's "unit" and "overdue" filters do.
func (s *Service) overdueByUnit(ctx context.Context, agency int64) ([]UnitCount, error) {
	overdue := `d.agency_id = $1 AND ` + openIncomingSQL + ` AND d.due_date < $2`
	rows, err := s.Pool.Query(ctx, `
		SELECT unit, count(DISTINCT id) FROM (
			SELECT d.id, d.unit_id AS unit FROM documents d WHERE `+overdue+` AND d.unit_id IS NOT NULL
			UNION ALL
			SELECT d.id, x.unit_id FROM documents d JOIN assignments x ON x.document_id = d.id
			WHERE `+overdue+` AND x.unit_id IS NOT NULL) o
		GROUP BY unit ORDER BY 2 DESC, 1`, agency, s.today())
	if err != nil {
		return nil, fmt.Errorf("docs: unable to count overdue documents: %w", err)
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[UnitCount])
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read overdue documents: %w", err)
	}
	return counts, nil
}
