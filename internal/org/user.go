package org

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// Sentinel errors callers branch on.
var (
	ErrUserNotFound  = errors.New("org: user not found")
	ErrDuplicateUser = errors.New("org: username already taken")
	ErrBadUsername   = errors.New("invalid username")
	ErrNoFullName    = errors.New("full name is empty")
)

// User is a person who signs in. PasswordHash is set by package access.
type User struct {
	ID           int64
	Username     string
	FullName     string
	Email        string
	PasswordHash string
	DisabledAt   *time.Time
}

// Active reports whether the user may sign in.
func (u *User) Active() bool { return u.DisabledAt == nil }

// Membership places a user in an agency, optionally in one of its units.
type Membership struct {
	UserID   int64
	AgencyID int64
	UnitID   *int64
	Position string // chức vụ, e.g. "Chủ tịch", "Chuyên viên"
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// ValidateUsername checks the sign-in name format.
func ValidateUsername(name string) error {
	if !usernamePattern.MatchString(name) {
		return fmt.Errorf("%w %q: use 3–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", ErrBadUsername, name)
	}
	return nil
}

const userColumns = `id, username, full_name, email, password_hash, disabled_at`

func scanUser(row pgx.Row) (*User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.FullName, &u.Email, &u.PasswordHash, &u.DisabledAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("org: unable to read user: %w", err)
	}
	return &u, nil
}

// CreateUser inserts a user whose PasswordHash is already set.
func CreateUser(ctx context.Context, db store.DB, u *User) error {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	u.FullName = strings.TrimSpace(u.FullName)
	if err := ValidateUsername(u.Username); err != nil {
		return err
	}
	if u.FullName == "" {
		return fmt.Errorf("user %s: %w", u.Username, ErrNoFullName)
	}
	err := db.QueryRow(ctx, `INSERT INTO users (username, full_name, email, password_hash) VALUES ($1, $2, $3, $4) RETURNING id`,
		u.Username, u.FullName, u.Email, u.PasswordHash).Scan(&u.ID)
	if store.IsUniqueViolation(err, "users_username_key") {
		return fmt.Errorf("%w: %s", ErrDuplicateUser, u.Username)
	}
	if err != nil {
		return fmt.Errorf("org: unable to create user %s: %w", u.Username, err)
	}
	return nil
}

// UserByUsername finds a user by sign-in name, case-insensitively.
func UserByUsername(ctx context.Context, db store.DB, username string) (*User, error) {
	return scanUser(db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(username) = lower($1)`, strings.TrimSpace(username)))
}

// UserByID finds a user by row id.
func UserByID(ctx context.Context, db store.DB, id int64) (*User, error) {
	return scanUser(db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// Users lists all users by username.
func Users(ctx context.Context, db store.DB) ([]*User, error) {
	rows, err := db.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("org: unable to list users: %w", err)
	}
	defer rows.Close()
	var users []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// SetPasswordHash replaces a user's password hash.
func SetPasswordHash(ctx context.Context, db store.DB, userID int64, hash string) error {
	return updateUser(ctx, db, userID, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, hash)
}

// DisableUser stops a user from signing in; their history stays.
func DisableUser(ctx context.Context, db store.DB, userID int64) error {
	return updateUser(ctx, db, userID, `UPDATE users SET disabled_at = coalesce(disabled_at, now()), updated_at = now() WHERE id = $1`)
}

// EnableUser lets a disabled user sign in again.
func EnableUser(ctx context.Context, db store.DB, userID int64) error {
	return updateUser(ctx, db, userID, `UPDATE users SET disabled_at = NULL, updated_at = now() WHERE id = $1`)
}

// MemberByID returns a user of the agency, locked for the caller's transaction, or
// ErrUserNotFound when they are not its member: an agency's administrator manages its
// own people only.
func MemberByID(ctx context.Context, tx pgx.Tx, userID, agencyID int64) (*User, error) {
	return scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE id = $1
		AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.agency_id = $2) FOR UPDATE`, userID, agencyID))
}

// AgencyMember is a member of an agency as its administrator lists them.
type AgencyMember struct {
	User
	Position string
	UnitName string
}

// AgencyMembers lists the members of an agency by username.
func AgencyMembers(ctx context.Context, db store.DB, agencyID int64) ([]AgencyMember, error) {
	rows, err := db.Query(ctx, `
		SELECT u.id, u.username, u.full_name, u.email, u.password_hash, u.disabled_at, m.position, coalesce(un.name, '')
		FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN units un ON un.id = m.unit_id
		WHERE m.agency_id = $1 ORDER BY u.username`, agencyID)
	if err != nil {
		return nil, fmt.Errorf("org: unable to list the agency's members: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (AgencyMember, error) {
		var m AgencyMember
		err := row.Scan(&m.ID, &m.Username, &m.FullName, &m.Email, &m.PasswordHash, &m.DisabledAt, &m.Position, &m.UnitName)
		return m, err
	})
}

func updateUser(ctx context.Context, db store.DB, userID int64, sql string, args ...any) error {
	tag, err := db.Exec(ctx, sql, append([]any{userID}, args...)...)
	if err != nil {
		return fmt.Errorf("org: unable to update user %d: %w", userID, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrUserNotFound
	}
	return nil
}

// SaveMembership places a user in an agency (and unit), replacing a previous placement
// in the same agency.
func SaveMembership(ctx context.Context, db store.DB, m Membership) error {
	if m.UnitID != nil {
		var unitAgency int64
		if err := db.QueryRow(ctx, `SELECT agency_id FROM units WHERE id = $1`, *m.UnitID).Scan(&unitAgency); err != nil {
			return ErrUnitNotFound
		}
		if unitAgency != m.AgencyID {
			return fmt.Errorf("unit %d does not belong to agency %d", *m.UnitID, m.AgencyID)
		}
	}
	_, err := db.Exec(ctx, `
		INSERT INTO memberships (user_id, agency_id, unit_id, position) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, agency_id) DO UPDATE SET unit_id = EXCLUDED.unit_id, position = EXCLUDED.position`,
		m.UserID, m.AgencyID, m.UnitID, strings.TrimSpace(m.Position))
	if err != nil {
		return fmt.Errorf("org: unable to save membership: %w", err)
	}
	return nil
}

// MembershipView is a membership with the names a person reads.
type MembershipView struct {
	Membership
	AgencyName string
	OrganID    string
	UnitName   string
}

// Memberships lists the agencies a user belongs to, ordered by agency name.
func Memberships(ctx context.Context, db store.DB, userID int64) ([]MembershipView, error) {
	rows, err := db.Query(ctx, `
		SELECT m.user_id, m.agency_id, m.unit_id, m.position, a.name, a.organ_id, coalesce(u.name, '')
		FROM memberships m JOIN agencies a ON a.id = m.agency_id LEFT JOIN units u ON u.id = m.unit_id
		WHERE m.user_id = $1 ORDER BY a.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("org: unable to list memberships: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (MembershipView, error) {
		var v MembershipView
		err := row.Scan(&v.UserID, &v.AgencyID, &v.UnitID, &v.Position, &v.AgencyName, &v.OrganID, &v.UnitName)
		return v, err
	})
}
