package docs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// RecordFolder is a record (hồ sơ) of an agency, into which handled documents are
// filed. It is open until closed (kết thúc); a closed record's list is frozen and it
// can be exported for the archive.
type RecordFolder struct {
	ID          int64
	AgencyID    int64
	Code        string
	Title       string
	Year        int
	Description string
	Retention   string // thời hạn bảo quản, e.g. "10 năm", "Vĩnh viễn"
	CreatedBy   int64
	CreatedAt   time.Time
	ClosedBy    int64
	ClosedAt    *time.Time
	Documents   int // how many documents it holds
}

// Closed reports whether the record was closed.
func (r RecordFolder) Closed() bool { return r.ClosedAt != nil }

// RecordInput is what opening a record takes.
type RecordInput struct {
	Code, Title string
	Year        int
	Description string
	Retention   string
}

var (
	// errRecordNotFound is a record that does not exist in the actor's agency.
	errRecordNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy hồ sơ của cơ quan.", Detail: "record not in the actor's agency"}
	// errRecordHidden: the record holds a document the actor may not see, so they can
	// neither close nor export it; like a hidden document, it is not found.
	errRecordHidden = &Error{Kind: ErrNotFound, Message: "Hồ sơ có văn bản bạn không được xem; chỉ người xem được mọi văn bản của hồ sơ mới kết thúc hay xuất được hồ sơ.",
		Detail: "record holds documents hidden from the actor"}
)

const recordColumns = `r.id, r.agency_id, r.code, r.title, r.year, r.description, r.retention, r.created_by, r.created_at,
	coalesce(r.closed_by, 0), r.closed_at, (SELECT count(*) FROM record_documents x WHERE x.record_id = r.id)`

func scanRecordFolder(row pgx.CollectableRow) (RecordFolder, error) {
	var f RecordFolder
	err := row.Scan(&f.ID, &f.AgencyID, &f.Code, &f.Title, &f.Year, &f.Description, &f.Retention, &f.CreatedBy, &f.CreatedAt,
		&f.ClosedBy, &f.ClosedAt, &f.Documents)
	return f, err
}

// Records lists the open records of an agency for a year, by code: those a document
// can be filed into.
func Records(ctx context.Context, db store.DB, agencyID int64, year int) ([]RecordFolder, error) {
	return queryRecords(ctx, db, `WHERE r.agency_id = $1 AND r.year = $2 AND r.closed_at IS NULL ORDER BY r.code`, agencyID, year)
}

func queryRecords(ctx context.Context, db store.DB, where string, args ...any) ([]RecordFolder, error) {
	rows, err := db.Query(ctx, `SELECT `+recordColumns+` FROM records r `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list records: %w", err)
	}
	folders, err := pgx.CollectRows(rows, scanRecordFolder)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list records: %w", err)
	}
	return folders, nil
}

// ListRecords lists every record (open and closed) of the actor's agency for a year.
func (s *Service) ListRecords(ctx context.Context, a Actor, year int) ([]RecordFolder, error) {
	if err := s.require(a, access.RecordManage, "người được phép lập hồ sơ"); err != nil {
		return nil, err
	}
	return queryRecords(ctx, s.Pool, `WHERE r.agency_id = $1 AND r.year = $2 ORDER BY r.closed_at IS NOT NULL, r.code`, a.AgencyID, year)
}

// CreateRecord opens a record (hồ sơ) of the agency for a year.
func (s *Service) CreateRecord(ctx context.Context, a Actor, code, title string, year int) (int64, error) {
	return s.OpenRecord(ctx, a, RecordInput{Code: code, Title: title, Year: year})
}

// OpenRecord opens a record of the actor's agency, with its description and retention.
func (s *Service) OpenRecord(ctx context.Context, a Actor, in RecordInput) (int64, error) {
	if err := s.require(a, access.RecordManage, "người được phép lập hồ sơ"); err != nil {
		return 0, err
	}
	code, title := strings.TrimSpace(in.Code), strings.TrimSpace(in.Title)
	if code == "" || title == "" {
		return 0, invalid("Hồ sơ cần có ký hiệu và tiêu đề.", "record without code or title")
	}
	if y := s.now().Year(); in.Year < 2000 || in.Year > y+1 {
		return 0, invalid(fmt.Sprintf("Năm của hồ sơ phải từ 2000 đến %d.", y+1), "record year %d out of range", in.Year)
	}
	if utf8.RuneCountInString(in.Description) > 2000 || utf8.RuneCountInString(in.Retention) > 100 {
		return 0, invalid("Chú giải hoặc thời hạn bảo quản quá dài.", "record description or retention too long")
	}
	var id int64
	err := s.Pool.QueryRow(ctx, `INSERT INTO records (agency_id, code, title, year, description, retention, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		a.AgencyID, code, title, in.Year, strings.TrimSpace(in.Description), strings.TrimSpace(in.Retention), a.UserID).Scan(&id)
	if store.IsUniqueViolation(err, "records_code_key") {
		return 0, &Error{Kind: ErrDuplicate, Message: "Ký hiệu hồ sơ " + code + " đã có trong năm.", Detail: "record code " + code + " exists"}
	}
	if err != nil {
		return 0, fmt.Errorf("docs: unable to create the record: %w", err)
	}
	return id, nil
}

// RecordContents is a record with the documents it holds that the actor may see, in
// the order they were filed, and how many it holds that the actor may not see.
type RecordContents struct {
	RecordFolder
	Items  []*Record
	Hidden int
}

// OpenedRecord reads a record of the actor's agency with its documents.
func (s *Service) OpenedRecord(ctx context.Context, a Actor, recordID int64) (*RecordContents, error) {
	if err := s.require(a, access.RecordManage, "người được phép lập hồ sơ"); err != nil {
		return nil, err
	}
	folder, err := s.recordOf(ctx, s.Pool, a, recordID, "")
	if err != nil {
		return nil, err
	}
	items, err := s.recordDocuments(ctx, a, recordID)
	if err != nil {
		return nil, err
	}
	return &RecordContents{RecordFolder: *folder, Items: items, Hidden: folder.Documents - len(items)}, nil
}

// recordOf reads (and with lock, locks) a record of the actor's agency.
func (s *Service) recordOf(ctx context.Context, db store.DB, a Actor, recordID int64, lock string) (*RecordFolder, error) {
	folders, err := queryRecords(ctx, db, `WHERE r.id = $1 AND r.agency_id = $2`+lock, recordID, a.AgencyID)
	if err != nil {
		return nil, err
	}
	if len(folders) == 0 {
		return nil, errRecordNotFound
	}
	return &folders[0], nil
}

// recordDocuments lists the documents of a record the actor may see, in filing order.
func (s *Service) recordDocuments(ctx context.Context, a Actor, recordID int64) ([]*Record, error) {
	v, err := s.viewer(ctx, s.Pool, a)
	if err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+ListColumns+` FROM record_documents x JOIN documents d ON d.id = x.document_id
		WHERE x.record_id = @record AND `+v.sql()+` ORDER BY x.filed_at, x.document_id`, v.args(pgx.NamedArgs{"record": recordID}))
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the documents of record %d: %w", recordID, err)
	}
	defer rows.Close()
	var items []*Record
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("docs: unable to read a document of record %d: %w", recordID, err)
		}
		items = append(items, d)
	}
	return items, rows.Err()
}

// openRecordForChange locks an open record of the actor's agency and a document of
// that agency the actor may see, in tx.
func (s *Service) openRecordForChange(ctx context.Context, tx pgx.Tx, a Actor, recordID, docID int64) (*RecordFolder, *Record, error) {
	if err := s.require(a, access.RecordManage, "người được phép lập hồ sơ"); err != nil {
		return nil, nil, err
	}
	folder, err := s.recordOf(ctx, tx, a, recordID, " FOR UPDATE OF r")
	if err != nil {
		return nil, nil, err
	}
	if folder.Closed() {
		return nil, nil, invalid("Hồ sơ "+folder.Code+" đã kết thúc; không thêm hay bớt văn bản được nữa.", "record %d is closed", recordID)
	}
	d, err := s.get(ctx, tx, a, docID, " FOR SHARE OF d")
	if err != nil {
		return nil, nil, err
	}
	return folder, d, nil
}

// AddToRecord puts a document the actor may see into an open record of its agency.
func (s *Service) AddToRecord(ctx context.Context, a Actor, recordID, docID int64) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		folder, d, err := s.openRecordForChange(ctx, tx, a, recordID, docID)
		if err != nil {
			return err
		}
		if err := fileInto(ctx, tx, a, folder, d); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "record.add", d.ID, map[string]any{"record": folder.ID})
	})
}

// fileInto inserts the document into the record, refusing it twice.
func fileInto(ctx context.Context, tx pgx.Tx, a Actor, folder *RecordFolder, d *Record) error {
	tag, err := tx.Exec(ctx, `INSERT INTO record_documents (record_id, document_id, filed_by) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, folder.ID, d.ID, a.UserID)
	if err != nil {
		return fmt.Errorf("docs: unable to file the document: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return &Error{Kind: ErrDuplicate, Message: "Văn bản đã có trong hồ sơ " + folder.Code + ".",
			Detail: fmt.Sprintf("document %d already in record %d", d.ID, folder.ID)}
	}
	return nil
}

// RemoveFromRecord takes a document out of an open record.
func (s *Service) RemoveFromRecord(ctx context.Context, a Actor, recordID, docID int64) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		folder, d, err := s.openRecordForChange(ctx, tx, a, recordID, docID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM record_documents WHERE record_id = $1 AND document_id = $2`, folder.ID, d.ID)
		if err != nil {
			return fmt.Errorf("docs: unable to take the document out of the record: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return invalid("Văn bản không có trong hồ sơ "+folder.Code+".", "document %d not in record %d", d.ID, folder.ID)
		}
		return s.audit(ctx, tx, a, "record.remove", d.ID, map[string]any{"record": folder.ID})
	})
}

// CloseRecord closes (kết thúc) an open record that holds at least one document.
func (s *Service) CloseRecord(ctx context.Context, a Actor, recordID int64) error {
	if err := s.require(a, access.RecordManage, "người được phép lập hồ sơ"); err != nil {
		return err
	}
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		folder, err := s.recordOf(ctx, tx, a, recordID, " FOR UPDATE OF r")
		if err != nil {
			return err
		}
		if folder.Closed() {
			return invalid("Hồ sơ "+folder.Code+" đã kết thúc.", "record %d already closed", recordID)
		}
		if folder.Documents == 0 {
			return invalid("Hồ sơ chưa có văn bản nào; thêm văn bản trước khi kết thúc.", "record %d is empty", recordID)
		}
		if err := s.seesWholeRecord(ctx, tx, a, folder); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE records SET closed_by = $1, closed_at = $2 WHERE id = $3`, a.UserID, s.now(), folder.ID); err != nil {
			return fmt.Errorf("docs: unable to close record %d: %w", recordID, err)
		}
		return nil
	})
}

// seesWholeRecord refuses a record holding a document the actor may not see.
func (s *Service) seesWholeRecord(ctx context.Context, db store.DB, a Actor, folder *RecordFolder) error {
	v, err := s.viewer(ctx, db, a)
	if err != nil {
		return err
	}
	var visible int
	err = db.QueryRow(ctx, `SELECT count(*) FROM record_documents x JOIN documents d ON d.id = x.document_id
		WHERE x.record_id = @record AND `+v.sql(), v.args(pgx.NamedArgs{"record": folder.ID})).Scan(&visible)
	if err != nil {
		return fmt.Errorf("docs: unable to check the documents of record %d: %w", folder.ID, err)
	}
	if visible < folder.Documents {
		return errRecordHidden
	}
	return nil
}

// File puts a completed incoming document into an open record of its agency: the last
// step of its lifecycle.
func (s *Service) File(ctx context.Context, a Actor, docID, recordID int64, note string) error {
	return s.transition(ctx, a, incoming, docID, "file", note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		folder, err := s.recordOf(ctx, tx, Actor{UserID: a.UserID, AgencyID: d.AgencyID}, recordID, " FOR UPDATE OF r")
		if errors.Is(err, ErrNotFound) {
			return invalid("Không tìm thấy hồ sơ của cơ quan.", "record %d not in agency %d", recordID, d.AgencyID)
		}
		if err != nil {
			return err
		}
		if folder.Closed() {
			return invalid("Hồ sơ "+folder.Code+" đã kết thúc; chọn hồ sơ khác.", "record %d is closed", recordID)
		}
		return fileInto(ctx, tx, a, folder, d)
	})
}
