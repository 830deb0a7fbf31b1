package docs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
	"edms/internal/store/storetest"
)

func TestNotationAndPrintedNumber(t *testing.T) {
	t.Parallel()
	qd, _ := LookupType(TypeQuyetDinh)
	cv, _ := LookupType(TypeCongVan)
	cases := []struct {
		got, want string
	}{
		{PrintedNumber(5, Notation(qd, "UBND", "")), "Số: 05/QĐ-UBND"},
		{PrintedNumber(123, Notation(cv, "UBND", "VP")), "Số: 123/UBND-VP"},
		{PrintedNumber(10, Notation(qd, "UBND", "")), "Số: 10/QĐ-UBND"},
		{FormatNumber(1), "01"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if len(Types) != 29 {
		t.Fatalf("%d types in the catalogue, want 29", len(Types))
	}
	if ty, ok := TypeByName(" quyết định (cá biệt) "); !ok || ty.Code != TypeQuyetDinh {
		t.Fatalf("TypeByName: %v %v", ty, ok)
	}
}

// signedDocuments inserts n outgoing documents already signed, ready for a number.
func (f *fixture) signedDocuments(t *testing.T, n int, typ TypeCode, secrecy Secrecy) []int64 {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `
		INSERT INTO documents (agency_id, direction, type, subject, secrecy, unit_id, created_by, outgoing_state)
		SELECT $1, 'outgoing', $2, 'Văn bản thử số ' || g, $3, $4, $5, 'signed' FROM generate_series(1, $6) g
		RETURNING id`, f.district, typ, secrecy, f.unitVP, f.specialist, n)
	must(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	must(t, err)
	if secrecy.Secret() { // the drafter hands a secret document to the clerk who issues it
		_, err = f.pool.Exec(context.Background(), `INSERT INTO document_grants (document_id, user_id, granted_by)
			SELECT unnest($1::bigint[]), $2, $3`, ids, f.clerk, f.specialist)
		must(t, err)
	}
	return ids
}

func TestConcurrentIssuanceIsGaplessAndUnique(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	wide := *f.svc // 32 connections, so that issuances really run side by side
	pool, err := store.OpenPool(ctx, f.url, store.PoolOptions{MaxConns: 32, AcquireTimeout: time.Minute})
	must(t, err) // a burst of 360 callers on 2 cores: waiting for a connection is expected here
	defer pool.Close()
	wide.Pool = pool
	decisions := f.signedDocuments(t, 200, TypeQuyetDinh, SecrecyNone)
	letters := f.signedDocuments(t, 50, TypeCongVan, SecrecyNone)
	secrets := f.signedDocuments(t, 50, TypeQuyetDinh, SecrecyMat)
	all := slices.Concat(decisions, letters, secrets)

	var wg sync.WaitGroup
	errs := make(chan error, len(all)+60)
	for _, id := range all {
		wg.Go(func() {
			if _, err := wide.Issue(ctx, f.in(f.clerk), id, ""); err != nil {
				errs <- fmt.Errorf("document %d: %w", id, err)
			}
		})
	}
	// Issuances that take a number and then fail must give it back.
	year := f.svc.today().Year()
	for range 60 {
		wg.Go(func() {
			err := pgx.BeginFunc(ctx, wide.Pool, func(tx pgx.Tx) error {
				if _, err := nextNumber(ctx, tx, f.district, year, seriesOutgoing); err != nil {
					return err
				}
				return errors.New("signing device unplugged")
			})
			if err == nil || err.Error() != "signing device unplugged" {
				errs <- fmt.Errorf("failing issuance: %v", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkSeries(t, f, false, 250)
	checkSeries(t, f, true, 50)
	var last int
	must(t, f.pool.QueryRow(ctx, `SELECT last_number FROM number_counters WHERE agency_id = $1 AND series = 'out'`, f.district).Scan(&last))
	if last != 250 {
		t.Fatalf("counter at %d after 250 issuances and 60 failures, want 250", last)
	}
}

// checkSeries asserts the numbers of the (secret or ordinary) series are exactly 1..n.
func checkSeries(t *testing.T, f *fixture, secret bool, n int) {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT code_number FROM documents
		WHERE agency_id = $1 AND direction = 'outgoing' AND (secrecy <> 'thuong') = $2`, f.district, secret)
	must(t, err)
	numbers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	var got []int
	for _, s := range numbers {
		v, err := strconv.Atoi(s)
		must(t, err)
		got = append(got, v)
	}
	slices.Sort(got)
	if len(got) != n {
		t.Fatalf("secret=%v: %d numbers, want %d", secret, len(got), n)
	}
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("secret=%v: numbers have a gap or a duplicate at %d (got %d)", secret, i+1, v)
		}
	}
}

func TestPerTypeSeriesAndFailedIssuanceKeepsTheNumber(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	year := f.svc.today().Year()
	must(t, pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return SetNumberingPerType(ctx, tx, f.district, true, year) }))
	qd := f.signedDocuments(t, 2, TypeQuyetDinh, SecrecyNone)
	tb := f.signedDocuments(t, 1, TypeThongBao, SecrecyNone)
	for _, c := range []struct {
		id   int64
		want string
	}{{qd[0], "Số: 01/QĐ-UBND"}, {tb[0], "Số: 01/TB-UBND"}, {qd[1], "Số: 02/QĐ-UBND"}} {
		res, err := f.svc.Issue(ctx, f.in(f.clerk), c.id, "")
		must(t, err)
		if res.Printed != c.want {
			t.Errorf("got %q, want %q", res.Printed, c.want)
		}
	}
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return SetNumberingPerType(ctx, tx, f.district, false, year) })
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("changing the series in the middle of the year: %v", err)
	}

	// A number already taken outside the counter (e.g. typed in from the paper register)
	// makes the issuance fail; the failed issuance consumes nothing.
	_, err = f.pool.Exec(ctx, `INSERT INTO documents (agency_id, direction, type, subject, created_by, outgoing_state,
		code_number, code_notation, issued_date) VALUES ($1, 'outgoing', 'bao_cao', 'Báo cáo giấy', $2, 'sent', '01', 'BC-UBND', $3)`,
		f.district, f.clerk, f.svc.today())
	must(t, err)
	bc := f.signedDocuments(t, 1, TypeBaoCao, SecrecyNone)
	if _, err := f.svc.Issue(ctx, f.in(f.clerk), bc[0], ""); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("issuing a number already used: %v", err)
	}
	var counters int
	must(t, f.pool.QueryRow(ctx, `SELECT count(*) FROM number_counters WHERE series = 'out:bao_cao'`).Scan(&counters))
	d, err := f.svc.Get(ctx, f.in(f.clerk), bc[0])
	must(t, err)
	if counters != 0 || d.OutgoingState != OutSigned || d.CodeNumber != "" {
		t.Fatalf("failed issuance left counter rows %d, state %s, number %q", counters, d.OutgoingState, d.CodeNumber)
	}
}

// TestNumberFormatInSQLMatchesGo checks the SQL twin of FormatNumber, which prints
// numbers in registers and in issued numbers.
func TestNumberFormatInSQLMatchesGo(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	for _, n := range []int{0, 1, 9, 10, 99, 100, 123, 1000, 123456} {
		var got string
		must(t, pool.QueryRow(context.Background(), `SELECT docs_number($1)`, n).Scan(&got))
		if got != FormatNumber(n) {
			t.Errorf("docs_number(%d) = %q, FormatNumber = %q", n, got, FormatNumber(n))
		}
	}
}
