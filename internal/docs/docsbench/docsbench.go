// Package docsbench measures package docs at scale: it loads a realistic data set (a
// million documents across agencies, units, people, states and assignments, generated
// inside PostgreSQL with generate_series) and times the inbox's first page, search, and
// number issuance by many concurrent clerks, each next to the plain SQL query alone so
// that the cost of the service layer (visibility rule, permissions) is visible.
//
// It is run by `edms bench docs`, always on a database of its own.
package docsbench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/store"
)

// Options size the benchmark.
type Options struct {
	Documents int // documents to load
	Agencies  int // agencies sharing them
	Samples   int // timed runs per measurement
	Clients   int // concurrent clerks issuing numbers
	Issuances int // numbers to issue
}

// Result is a latency measurement and the same query without the service layer.
type Result struct {
	Name          string
	P50, P95      time.Duration
	PlainP50      time.Duration
	PlainP95      time.Duration
	RatioP95      float64
	ResultsOnPage int
}

// Report is everything measured.
type Report struct {
	LoadTime      time.Duration
	Latencies     []Result
	Issued        int
	IssueTime     time.Duration
	NumbersPerSec float64
	Gapless       bool
}

// Directory is the people and places the data set belongs to; other benchmarks (edms
// bench web) act as them.
type Directory struct {
	Agencies    []int64
	Units       []int64 // unitsPerAgency consecutive entries per agency
	Clerks      []int64
	Leaders     []int64
	Specialists []int64 // one per unit
}

const unitsPerAgency = 5

// Run loads the data set into pool (an empty, migrated database) and measures.
func Run(ctx context.Context, pool *pgxpool.Pool, o Options, log io.Writer) (*Report, error) {
	rep := &Report{}
	start := time.Now()
	f, err := Load(ctx, pool, o.Agencies, o.Documents, log)
	if err != nil {
		return nil, err
	}
	rep.LoadTime = time.Since(start)
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		return nil, err
	}
	svc := &docs.Service{Pool: pool, Access: enforcer}
	for _, m := range measurements(svc, pool, f) {
		r, err := measure(ctx, m, o.Samples)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		fmt.Fprintf(log, "%-34s p50 %8s  p95 %8s | plain SQL p50 %8s  p95 %8s | ratio p95 %.2f (%d rows)\n", r.Name,
			r.P50.Round(10*time.Microsecond), r.P95.Round(10*time.Microsecond), r.PlainP50.Round(10*time.Microsecond),
			r.PlainP95.Round(10*time.Microsecond), r.RatioP95, r.ResultsOnPage)
		rep.Latencies = append(rep.Latencies, r)
	}
	if err := issue(ctx, svc, pool, f, o, rep); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "issued %d numbers with %d clients in %s: %.0f numbers/s, gapless and unique: %v\n",
		rep.Issued, o.Clients, rep.IssueTime.Round(time.Millisecond), rep.NumbersPerSec, rep.Gapless)
	return rep, nil
}

// createDirectory makes the agencies, units and people, with their roles.
// Load creates a directory of agencies (units, a clerk, a leader and a specialist per
// unit each) and loads documents among them into pool, an empty migrated database.
func Load(ctx context.Context, pool *pgxpool.Pool, agencies, documents int, log io.Writer) (*Directory, error) {
	start := time.Now()
	f, err := createDirectory(ctx, pool, agencies)
	if err != nil {
		return nil, err
	}
	if err := loadDocuments(ctx, pool, f, documents, log); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "loaded %d documents in %s\n", documents, time.Since(start).Round(time.Second))
	return f, nil
}

func createDirectory(ctx context.Context, pool *pgxpool.Pool, n int) (*Directory, error) {
	f := &Directory{}
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		for a := range n {
			var agency int64
			if err := tx.QueryRow(ctx, `INSERT INTO agencies (organ_id, name, abbreviation) VALUES ($1, $2, 'UBND') RETURNING id`,
				fmt.Sprintf("000.%02d.21.H55", a), fmt.Sprintf("Ủy ban nhân dân xã số %d", a+1)).Scan(&agency); err != nil {
				return err
			}
			f.Agencies = append(f.Agencies, agency)
			clerk, err := person(ctx, tx, fmt.Sprintf("vanthu%d", a), agency, nil, access.VanThu)
			if err != nil {
				return err
			}
			leader, err := person(ctx, tx, fmt.Sprintf("lanhdao%d", a), agency, nil, access.LanhDao)
			if err != nil {
				return err
			}
			f.Clerks, f.Leaders = append(f.Clerks, clerk), append(f.Leaders, leader)
			for u := range unitsPerAgency {
				var unit int64
				if err := tx.QueryRow(ctx, `INSERT INTO units (agency_id, name, abbreviation) VALUES ($1, $2, $3) RETURNING id`,
					agency, fmt.Sprintf("Phòng số %d", u+1), fmt.Sprintf("P%d", u+1)).Scan(&unit); err != nil {
					return err
				}
				specialist, err := person(ctx, tx, fmt.Sprintf("cv%d.%d", a, u), agency, &unit, access.ChuyenVien)
				if err != nil {
					return err
				}
				f.Units, f.Specialists = append(f.Units, unit), append(f.Specialists, specialist)
			}
		}
		return nil
	})
	return f, err
}

func person(ctx context.Context, tx pgx.Tx, username string, agency int64, unit *int64, role access.Role) (int64, error) {
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO users (username, full_name, password_hash) VALUES ($1, $2, '') RETURNING id`,
		username, "Người dùng "+username).Scan(&id); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO memberships (user_id, agency_id, unit_id) VALUES ($1, $2, $3)`, id, agency, unit); err != nil {
		return 0, err
	}
	return id, access.GrantRole(ctx, tx, id, role, agency)
}

// measurement is a service call and the plain SQL that returns the same page.
type measurement struct {
	name    string
	service func(ctx context.Context, i int) (int, error)
	plain   func(ctx context.Context, i int) (int, error)
}

// searchTerms are what people type, without accents as they often do.
var searchTerms = []string{"quyet dinh", "ke hoach", "chuyen doi so", "ngan sach", "dat dai", "giao duc",
	"phong chong thien tai", "cai cach hanh chinh", "bao cao", "tiep cong dan"}

// measurements pairs each service call with the SQL one would write by hand for that
// screen and that person (same columns, the person's visibility spelled out), so the
// ratio is the cost of the service layer: permission checks, the general visibility
// rule, building and scanning.
func measurements(svc *docs.Service, pool *pgxpool.Pool, f *Directory) []measurement {
	clerk := docs.Actor{UserID: f.Clerks[0], AgencyID: f.Agencies[0]}
	specialist := docs.Actor{UserID: f.Specialists[0], AgencyID: f.Agencies[0]}
	const open = `d.direction = 'incoming' AND d.incoming_state IN ('received', 'registered', 'submitted', 'assigned', 'in_progress')`
	const newest = ` ORDER BY d.created_at DESC, d.id DESC LIMIT 21`
	plain := func(where string, args ...any) func(ctx context.Context, i int) (int, error) {
		return func(ctx context.Context, i int) (int, error) {
			a := append([]any{f.Agencies[0]}, args...)
			if len(a) == 3 { // a search: the term changes with i
				a[2] = searchTerms[i%len(searchTerms)]
			}
			return count(pool.Query(ctx, `SELECT `+docs.ListColumns+` FROM documents d WHERE d.agency_id = $1 AND `+where+newest, a...))
		}
	}
	page := func(p docs.Page, err error) (int, error) { return len(p.Items), err }
	return []measurement{
		{"inbox first page (clerk)", func(ctx context.Context, _ int) (int, error) {
			return page(svc.Inbox(ctx, clerk, "", 20))
		}, plain(open+` AND (d.secrecy = 'thuong' OR d.created_by = $2)`, clerk.UserID)},
		{"inbox first page (specialist)", func(ctx context.Context, _ int) (int, error) {
			return page(svc.Inbox(ctx, specialist, "", 20))
		}, plain(open+` AND d.secrecy = 'thuong' AND d.id IN (SELECT document_id FROM assignments WHERE handler_id = $2 OR user_id = $2)`,
			specialist.UserID)},
		{"search, first page (clerk)", func(ctx context.Context, i int) (int, error) {
			return page(svc.Search(ctx, clerk, docs.Query{Text: searchTerms[i%len(searchTerms)], Limit: 20}))
		}, plain(`d.search @@ websearch_to_tsquery('simple', docs_unaccent($3)) AND (d.secrecy = 'thuong' OR d.created_by = $2)`,
			clerk.UserID, "")},
		{"search, first page (specialist)", func(ctx context.Context, i int) (int, error) {
			return page(svc.Search(ctx, specialist, docs.Query{Text: searchTerms[i%len(searchTerms)], Limit: 20}))
		}, plain(`d.search @@ websearch_to_tsquery('simple', docs_unaccent($3)) AND (d.created_by = $2 OR (d.secrecy = 'thuong'
			AND d.id IN (SELECT document_id FROM assignments WHERE handler_id = $2 OR user_id = $2)))`, specialist.UserID, "")},
	}
}

// count reads every row, decoding its values as a caller would, and counts them.
func count(rows pgx.Rows, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// measure runs the service call and the plain query alternately, after a warm-up.
func measure(ctx context.Context, m measurement, samples int) (Result, error) {
	var svc, plain []time.Duration
	r := Result{Name: m.name}
	for i := range samples + samples/10 {
		t0 := time.Now()
		n, err := m.service(ctx, i)
		if err != nil {
			return r, err
		}
		t1 := time.Now()
		if _, err := m.plain(ctx, i); err != nil {
			return r, err
		}
		t2 := time.Now()
		if i >= samples/10 { // the first tenth warms the caches
			svc, plain = append(svc, t1.Sub(t0)), append(plain, t2.Sub(t1))
			r.ResultsOnPage = n
		}
	}
	r.P50, r.P95 = percentile(svc, 50), percentile(svc, 95)
	r.PlainP50, r.PlainP95 = percentile(plain, 50), percentile(plain, 95)
	r.RatioP95 = float64(r.P95) / float64(r.PlainP95)
	return r, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// issue has o.Clients clerks issue o.Issuances numbers at once through the service
// (lock, state check, permission, counter, audit), spread over every agency (client
// c is a clerk of agency c mod agencies), then checks each agency's series.
func issue(ctx context.Context, svc *docs.Service, pool *pgxpool.Pool, f *Directory, o Options, rep *Report) error {
	perAgency, err := SignedForIssue(ctx, pool, f, o.Issuances)
	if err != nil {
		return err
	}
	next := make([]atomic.Int64, len(f.Agencies))
	var wg sync.WaitGroup
	errs := make(chan error, o.Clients)
	start := time.Now()
	for c := range o.Clients {
		a := c % len(f.Agencies)
		clerk := docs.Actor{UserID: f.Clerks[a], AgencyID: f.Agencies[a]}
		ids := perAgency[a]
		wg.Go(func() {
			for i := next[a].Add(1) - 1; i < int64(len(ids)); i = next[a].Add(1) - 1 {
				if _, err := svc.Issue(ctx, clerk, ids[i], ""); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	rep.IssueTime = time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("issuance failed: %w", err)
	}
	rep.Issued = o.Issuances
	rep.NumbersPerSec = float64(o.Issuances) / rep.IssueTime.Seconds()
	for a, ids := range perAgency {
		if err := checkSeries(ctx, pool, ids); err != nil {
			return fmt.Errorf("agency %d: %w", f.Agencies[a], err)
		}
	}
	rep.Gapless = true
	return nil
}

// SignedForIssue inserts issuances signed documents, ready for a number, spread over
// the agencies; it returns their ids per agency.
func SignedForIssue(ctx context.Context, pool *pgxpool.Pool, f *Directory, issuances int) ([][]int64, error) {
	perAgency := make([][]int64, len(f.Agencies))
	for a, agency := range f.Agencies {
		n := issuances / len(f.Agencies)
		if a < issuances%len(f.Agencies) {
			n++
		}
		rows, err := pool.Query(ctx, `
			INSERT INTO documents (agency_id, direction, type, subject, unit_id, created_by, outgoing_state)
			SELECT $1, 'outgoing', 'quyet_dinh', 'Quyết định cấp số thử ' || g, $2, $3, 'signed' FROM generate_series(1, $4) g
			RETURNING id`, agency, f.Units[a*unitsPerAgency], f.Specialists[a*unitsPerAgency], n)
		if err != nil {
			return nil, err
		}
		if perAgency[a], err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return nil, err
		}
	}
	return perAgency, nil
}

// checkSeries asserts that the documents ids were numbered 1..len(ids), each once.
func checkSeries(ctx context.Context, pool *pgxpool.Pool, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var distinct, lowest, highest int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT code_number::int), min(code_number::int), max(code_number::int)
		FROM documents WHERE id = ANY($1)`, ids).Scan(&distinct, &lowest, &highest); err != nil {
		return err
	}
	if distinct != len(ids) || lowest != 1 || highest != len(ids) {
		return fmt.Errorf("numbering broken: %d distinct numbers from %d to %d for %d issuances", distinct, lowest, highest, len(ids))
	}
	return nil
}
