// Package notify owns notifications: what waits for a person (a document assigned to
// them, a draft returned, a signature asked, a deadline near), kept in the
// notifications table until they read it, and the e-mail that tells them of it —
// at once, in a daily digest, or not at all, as each person chooses. The steps that
// make someone wait call Notify in their own transaction; the e-mail is a River job
// inserted in that same transaction, sent by Mailer through the configured SMTP
// server.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"edms/internal/store"
)

// Kind is why a person is notified.
type Kind string

// The reasons a person waits.
const (
	Assigned Kind = "assigned" // a document was assigned or forwarded to them
	Returned Kind = "returned" // their draft came back with comments
	ToSign   Kind = "to_sign"  // a draft waits for their signature
	Deadline Kind = "deadline" // an assignment of theirs is due soon or overdue
	Mention  Kind = "mention"  // someone named them in a comment (ý kiến)
	Internal Kind = "internal" // a document was sent to them inside the agency
)

// Mode is how a person wants to hear of notifications by e-mail.
type Mode string

// The e-mail preferences.
const (
	Immediate Mode = "immediate" // one e-mail per notification, at once
	Daily     Mode = "daily"     // only the morning digest
	Off       Mode = "off"       // no e-mail
)

// DefaultMode is the preference of someone who has not chosen.
const DefaultMode = Immediate

// ParseMode accepts a preference name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Immediate, Daily, Off:
		return m, nil
	}
	return "", fmt.Errorf("notify: unknown e-mail preference %q", s)
}

// ErrNotFound is returned for a notification that does not exist or is someone else's.
var ErrNotFound = errors.New("notify: notification not found")

// Notification is one thing that waits for a person.
type Notification struct {
	ID         int64
	UserID     int64
	DocumentID *int64
	Kind       Kind
	Text       string
	CreatedAt  time.Time
	ReadAt     *time.Time
}

// Inserter inserts River jobs in a caller's transaction (a *river.Client[pgx.Tx]).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Notify records that something waits for userID and, when they want e-mail at once
// and have an address, queues the e-mail in the same transaction. jobs may be nil
// (no e-mail is queued); a disabled user is not notified.
func Notify(ctx context.Context, tx pgx.Tx, jobs Inserter, userID int64, documentID *int64, kind Kind, text string) error {
	text = shorten(text)
	var email string
	var mode Mode
	err := tx.QueryRow(ctx, `
		INSERT INTO notifications (user_id, document_id, kind, text)
		SELECT u.id, $2, $3, $4 FROM users u WHERE u.id = $1 AND u.disabled_at IS NULL
		RETURNING (SELECT email FROM users WHERE id = $1),
		          (SELECT coalesce(max(email_mode), $5) FROM notification_settings WHERE user_id = $1)`,
		userID, documentID, string(kind), text, string(DefaultMode)).Scan(&email, &mode)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: unable to notify user %d: %w", userID, err)
	}
	if mode != Immediate || email == "" || jobs == nil {
		return nil
	}
	if _, err := jobs.InsertTx(ctx, tx, EmailArgs{To: email, Subject: text, Body: immediateBody(text)}, nil); err != nil {
		return fmt.Errorf("notify: unable to queue the e-mail to user %d: %w", userID, err)
	}
	return nil
}

// MaxText is the longest notification text the table keeps (characters).
const MaxText = 1000

// shorten cuts a text longer than MaxText, ending it with an ellipsis.
func shorten(text string) string {
	if utf8.RuneCountInString(text) <= MaxText {
		return text
	}
	return string([]rune(text)[:MaxText-1]) + "…"
}

func immediateBody(text string) string {
	return text + "\n\nĐăng nhập edms để xem và xử lý. Bạn có thể đổi cách nhận thư tại trang Thông báo."
}

const columns = `id, user_id, document_id, kind, text, created_at, read_at`

// List returns a person's notifications, newest first, at most limit of them.
func List(ctx context.Context, db store.DB, userID int64, limit int) ([]Notification, error) {
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: unable to list notifications: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Notification])
}

// Unread counts a person's unread notifications.
func Unread(ctx context.Context, db store.DB, userID int64) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("notify: unable to count unread notifications: %w", err)
	}
	return n, nil
}

// MarkRead marks one of the person's notifications read.
func MarkRead(ctx context.Context, db store.DB, userID, id int64) error {
	tag, err := db.Exec(ctx, `UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("notify: unable to mark notification %d read: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkAllRead marks every notification of the person read.
func MarkAllRead(ctx context.Context, db store.DB, userID int64) error {
	if _, err := db.Exec(ctx, `UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL`, userID); err != nil {
		return fmt.Errorf("notify: unable to mark notifications read: %w", err)
	}
	return nil
}

// EmailMode returns the person's e-mail preference.
func EmailMode(ctx context.Context, db store.DB, userID int64) (Mode, error) {
	var m Mode
	err := db.QueryRow(ctx, `SELECT coalesce(max(email_mode), $2) FROM notification_settings WHERE user_id = $1`, userID, string(DefaultMode)).Scan(&m)
	if err != nil {
		return "", fmt.Errorf("notify: unable to read the e-mail preference: %w", err)
	}
	return m, nil
}

// SetEmailMode saves the person's e-mail preference.
func SetEmailMode(ctx context.Context, db store.DB, userID int64, m Mode) error {
	_, err := db.Exec(ctx, `
		INSERT INTO notification_settings (user_id, email_mode) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET email_mode = EXCLUDED.email_mode, updated_at = now()`, userID, string(m))
	if err != nil {
		return fmt.Errorf("notify: unable to save the e-mail preference: %w", err)
	}
	return nil
}
