package docs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"edms/internal/notify"
	"edms/internal/store"
)

// ThreadKind says what an entry of a document's thread is.
type ThreadKind string

// The entries of a thread: people's comments, and what the assignments already hold
// (read from them, never copied).
const (
	ThreadComment   ThreadKind = "comment"   // ý kiến
	ThreadDirection ThreadKind = "direction" // the leader's bút phê on an assignment
	ThreadProgress  ThreadKind = "progress"  // a handler's progress note
)

// ThreadEntry is one entry of the comment thread of a document.
type ThreadEntry struct {
	Kind     ThreadKind
	AuthorID int64
	At       time.Time
	Text     string
	Mentions []int64 // comment: the users named with @username
	Progress int     // progress: the percentage reported
}

// maxCommentLength bounds a comment, in characters (the schema's CHECK holds the same).
const maxCommentLength = 4000

// mentionPattern finds @username in a comment (the users table's username rule), not
// the domain of an e-mail address.
var mentionPattern = regexp.MustCompile(`(?:^|[^\pL\pN._-])@([a-z0-9][a-z0-9._-]{2,63})`)

// mentionedUsernames returns the distinct usernames a comment names, in order; a
// sentence's full stop after a name is not part of it.
func mentionedUsernames(body string) []string {
	var names []string
	for _, m := range mentionPattern.FindAllStringSubmatch(body, -1) {
		name := strings.TrimRight(m[1], ".-_")
		if len(name) >= 3 && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// AddComment adds a comment to the thread of a document the actor may see. Each user
// named with @username must belong to the document's agency and see the document; they
// are notified (a row of notifications, kind 'mention').
func (s *Service) AddComment(ctx context.Context, a Actor, docID int64, body string) (int64, error) {
	body = strings.TrimSpace(body)
	var id int64
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.get(ctx, tx, a, docID, " FOR SHARE OF d") // first: a hidden document is not found, whatever the body
		if err != nil {
			return err
		}
		if err := checkComment(body); err != nil {
			return err
		}
		mentioned, err := s.mentionedUsers(ctx, tx, d, mentionedUsernames(body))
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO document_comments (document_id, author_id, body, mentions, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, d.ID, a.UserID, body, mentioned, s.now()).Scan(&id); err != nil {
			return fmt.Errorf("docs: unable to save the comment: %w", err)
		}
		if err := s.notifyMentions(ctx, tx, a, d, mentioned); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "comment", d.ID, map[string]any{"comment": id, "mentions": mentioned})
	})
	return id, err
}

func checkComment(body string) error {
	if body == "" {
		return invalid("Nhập nội dung ý kiến.", "empty comment")
	}
	if utf8.RuneCountInString(body) > maxCommentLength {
		return invalid(fmt.Sprintf("Ý kiến dài quá %d ký tự.", maxCommentLength), "comment too long")
	}
	return nil
}

// mentionedUsers resolves usernames to the members of the document's agency, refusing
// a name that is nobody there or someone who may not see the document.
func (s *Service) mentionedUsers(ctx context.Context, tx pgx.Tx, d *Record, names []string) ([]int64, error) {
	ids := []int64{}
	for _, name := range names {
		var userID int64
		err := tx.QueryRow(ctx, `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id AND m.agency_id = $2
			WHERE u.username = $1`, name, d.AgencyID).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, invalid("Không có người dùng @"+name+" trong cơ quan.", "mention of unknown user %q", name)
		}
		if err != nil {
			return nil, fmt.Errorf("docs: unable to resolve the mention of %s: %w", name, err)
		}
		sees, err := s.sees(ctx, tx, Actor{UserID: userID, AgencyID: d.AgencyID}, d.ID)
		if err != nil {
			return nil, err
		}
		if !sees {
			return nil, invalid("@"+name+" không được xem văn bản này nên không thể nhắc đến.", "user %d cannot see document %d", userID, d.ID)
		}
		ids = append(ids, userID)
	}
	return ids, nil
}

// sees reports whether a user may see a document, by the visibility rule in SQL.
func (s *Service) sees(ctx context.Context, db store.DB, a Actor, docID int64) (bool, error) {
	v, err := s.viewer(ctx, db, a)
	if errors.Is(err, ErrForbidden) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var ok bool
	err = db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM documents d WHERE d.id = @id AND `+v.sql()+`)`,
		v.args(pgx.NamedArgs{"id": docID})).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("docs: unable to check who sees document %d: %w", docID, err)
	}
	return ok, nil
}

// notifyMentions tells each mentioned user (but the author) about the comment.
func (s *Service) notifyMentions(ctx context.Context, tx pgx.Tx, a Actor, d *Record, users []int64) error {
	for _, u := range users {
		if u == a.UserID {
			continue
		}
		text := fmt.Sprintf("%s nhắc đến bạn trong ý kiến về văn bản: %s", s.userName(ctx, tx, a.UserID), shorten(d.Subject, 200))
		if err := s.notifyUser(ctx, tx, u, d, notify.Mention, text); err != nil {
			return err
		}
	}
	return nil
}

// userName is a user's full name, or their id when it cannot be read (a message only).
func (s *Service) userName(ctx context.Context, db store.DB, userID int64) string {
	var name string
	if err := db.QueryRow(ctx, `SELECT full_name FROM users WHERE id = $1`, userID).Scan(&name); err != nil {
		return fmt.Sprintf("#%d", userID)
	}
	return name
}

// shorten cuts text to at most n characters, marking the cut.
func shorten(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n-1]) + "…"
}

// Thread returns the comment thread of a document the actor may see, oldest first:
// the comments, the leaders' bút phê (on the assignment as a whole and on each line)
// and the handlers' progress notes (the latest of each assignment, dated by its
// completion or else by the assignment).
func (s *Service) Thread(ctx context.Context, a Actor, docID int64) ([]ThreadEntry, error) {
	if _, err := s.Get(ctx, a, docID); err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT 'comment', author_id, created_at, body, mentions, 0 FROM document_comments WHERE document_id = $1
		UNION ALL
		SELECT 'direction', actor_id, at, note, '{}', 0 FROM document_transitions
			WHERE document_id = $1 AND action = 'assign' AND actor_id IS NOT NULL AND btrim(note) <> ''
		UNION ALL
		SELECT 'direction', assigned_by, assigned_at, direction_note, '{}', 0 FROM assignments
			WHERE document_id = $1 AND btrim(direction_note) <> ''
		UNION ALL
		SELECT 'progress', coalesce(handler_id, user_id), coalesce(completed_at, assigned_at), progress_note, '{}', progress
			FROM assignments WHERE document_id = $1 AND coalesce(handler_id, user_id) IS NOT NULL
			AND (btrim(progress_note) <> '' OR progress > 0)`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the thread of document %d: %w", docID, err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ThreadEntry, error) {
		var e ThreadEntry
		err := row.Scan(&e.Kind, &e.AuthorID, &e.At, &e.Text, &e.Mentions, &e.Progress)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the thread of document %d: %w", docID, err)
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].At.Before(entries[j].At) })
	return entries, nil
}
