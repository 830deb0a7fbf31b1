package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/org"
	"edms/internal/store"
)

// Sign-in refusals. The messages are for logs; the web layer words them for users.
var (
	ErrBadCredentials = errors.New("access: wrong username or password")
	ErrThrottled      = errors.New("access: too many failed sign-ins; try again later")
	ErrDisabled       = errors.New("access: the account is disabled")
	ErrNoAgency       = errors.New("access: the user belongs to no agency")
	ErrNoSession      = errors.New("access: no valid session")
)

// Throttling of sign-in. Failures are counted per username and client address: past
// FailuresBeforeBackoff, the next attempt from that address for that username waits
// BackoffBase, and each further failure doubles the wait, up to ThrottleWindow. A
// named person is therefore never locked out for everyone: a leader still signs in
// from their own office while someone guesses their password elsewhere. An address
// with MaxFailuresPerIP failures within the window, whatever the usernames, is refused
// until the oldest of them leaves the window.
const (
	FailuresBeforeBackoff = 5
	BackoffBase           = 30 * time.Second
	MaxFailuresPerIP      = 30
	ThrottleWindow        = 15 * time.Minute
)

// ThrottledError refuses a sign-in attempt made too soon; it matches ErrThrottled.
type ThrottledError struct {
	Wait time.Duration // until the next attempt is heard
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v (retry in %s)", ErrThrottled, e.Wait.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// backoff is the wait after failures failed attempts of one username from one address.
func backoff(failures int) time.Duration {
	if failures < FailuresBeforeBackoff {
		return 0
	}
	doublings := min(failures-FailuresBeforeBackoff, 16)
	return min(BackoffBase<<doublings, ThrottleWindow)
}

// throttle refuses an attempt of username from clientIP that comes too soon.
func throttle(ctx context.Context, db store.DB, username, clientIP string) error {
	var pairFailures, ipFailures int
	var sinceLast, sinceOldestIP time.Duration
	err := db.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE pair), count(*),
			coalesce(now() - max(at) FILTER (WHERE pair), '0'), coalesce(now() - min(at), '0')
		FROM (SELECT at, lower(username) = lower($1) AS pair FROM login_failures
		      WHERE client_ip = $2 AND at > now() - $3::interval) f`,
		username, clientIP, ThrottleWindow.String()).Scan(&pairFailures, &ipFailures, &sinceLast, &sinceOldestIP)
	if err != nil {
		return fmt.Errorf("access: unable to check sign-in throttling: %w", err)
	}
	if ipFailures >= MaxFailuresPerIP {
		return &ThrottledError{Wait: ThrottleWindow - sinceOldestIP}
	}
	if wait := backoff(pairFailures) - sinceLast; wait > 0 {
		return &ThrottledError{Wait: wait}
	}
	return nil
}

// dummyHash keeps the time of a sign-in with an unknown username the same as with a
// known one, so response time does not reveal which usernames exist. It is computed on
// first use: argon2id takes 19 MiB, which every edms command would pay at start-up.
var dummyHash = sync.OnceValue(func() string {
	hash, _ := HashPassword("edms-timing-equaliser")
	return hash
})

// Authenticate checks a username and password, throttled per username and client
// address with a growing wait, and per address. Every failure is recorded.
func Authenticate(ctx context.Context, db store.DB, username, password, clientIP string) (*org.User, error) {
	username = strings.TrimSpace(username)
	if err := throttle(ctx, db, username, clientIP); err != nil {
		return nil, err
	}
	user, err := org.UserByUsername(ctx, db, username)
	hash := dummyHash()
	if err == nil {
		hash = user.PasswordHash
	} else if !errors.Is(err, org.ErrUserNotFound) {
		return nil, err
	}
	ok, verr := VerifyPassword(hash, password)
	if err != nil || verr != nil || !ok {
		if _, ferr := db.Exec(ctx, `INSERT INTO login_failures (username, client_ip) VALUES ($1, $2)`, username, clientIP); ferr != nil {
			return nil, fmt.Errorf("access: unable to record a failed sign-in: %w", ferr)
		}
		return nil, ErrBadCredentials
	}
	if !user.Active() {
		return nil, ErrDisabled
	}
	if _, err := db.Exec(ctx, `DELETE FROM login_failures WHERE lower(username) = lower($1) AND client_ip = $2`, username, clientIP); err != nil {
		return nil, fmt.Errorf("access: unable to reset failures: %w", err)
	}
	return user, nil
}

// Session is a signed-in person acting in one agency.
type Session struct {
	UserID    int64
	AgencyID  int64
	CSRFToken string
	ExpiresAt time.Time
}

// SessionTTL is how long a session lasts without being renewed.
const SessionTTL = 12 * time.Hour

// newSecret returns a random URL-safe token and the SHA-256 under which it is stored.
func newSecret(prefix string) (token string, hash []byte, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("access: no randomness: %w", err)
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(raw)
	return token, hashSecret(token), nil
}

func hashSecret(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// CreateSession opens a session for the user in the agency and returns the cookie token.
func CreateSession(ctx context.Context, db store.DB, userID, agencyID int64, clientIP, userAgent string) (string, *Session, error) {
	token, hash, err := newSecret("")
	if err != nil {
		return "", nil, err
	}
	csrf, _, err := newSecret("")
	if err != nil {
		return "", nil, err
	}
	s := &Session{UserID: userID, AgencyID: agencyID, CSRFToken: csrf, ExpiresAt: time.Now().Add(SessionTTL)}
	_, err = db.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, agency_id, csrf_token, expires_at, client_ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, hash, userID, agencyID, csrf, s.ExpiresAt, clientIP, truncate(userAgent, 300))
	if err != nil {
		return "", nil, fmt.Errorf("access: unable to open a session: %w", err)
	}
	return token, s, nil
}

// SessionByToken returns the live session of a cookie token, for an active user.
func SessionByToken(ctx context.Context, db store.DB, token string) (*Session, error) {
	var s Session
	err := db.QueryRow(ctx, `
		SELECT s.user_id, s.agency_id, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL`, hashSecret(token)).
		Scan(&s.UserID, &s.AgencyID, &s.CSRFToken, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("access: unable to read session: %w", err)
	}
	return &s, nil
}

// SwitchAgency moves a session to another agency the user belongs to.
func SwitchAgency(ctx context.Context, db store.DB, token string, agencyID int64) error {
	tag, err := db.Exec(ctx, `UPDATE sessions s SET agency_id = $2 FROM memberships m
		WHERE s.token_hash = $1 AND m.user_id = s.user_id AND m.agency_id = $2`, hashSecret(token), agencyID)
	if err != nil {
		return fmt.Errorf("access: unable to switch agency: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotMember
	}
	return nil
}

// EndSession signs out.
func EndSession(ctx context.Context, db store.DB, token string) error {
	if _, err := db.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashSecret(token)); err != nil {
		return fmt.Errorf("access: unable to end session: %w", err)
	}
	return nil
}

// EndUserSessions signs a user out everywhere (after a password change or disabling).
func EndUserSessions(ctx context.Context, db store.DB, userID int64) error {
	if _, err := db.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("access: unable to end sessions: %w", err)
	}
	return nil
}

// apiTokenPrefix marks edms API tokens so that leaked ones are easy to scan for.
const apiTokenPrefix = "edms_"

// CreateAPIToken issues a token for a machine client acting as the user. The token is
// shown once; only its hash is kept.
func CreateAPIToken(ctx context.Context, db store.DB, userID int64, name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", errors.New("an API token needs a name saying what uses it")
	}
	token, hash, err := newSecret(apiTokenPrefix)
	if err != nil {
		return "", err
	}
	if _, err := db.Exec(ctx, `INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3)`, userID, strings.TrimSpace(name), hash); err != nil {
		return "", fmt.Errorf("access: unable to store API token: %w", err)
	}
	return token, nil
}

// UserByAPIToken returns the active user behind a live API token.
func UserByAPIToken(ctx context.Context, db store.DB, token string) (int64, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) {
		return 0, ErrNoSession
	}
	var userID int64
	err := db.QueryRow(ctx, `
		UPDATE api_tokens t SET last_used_at = now() FROM users u
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.disabled_at IS NULL
		RETURNING t.user_id`, hashSecret(token)).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNoSession
	}
	if err != nil {
		return 0, fmt.Errorf("access: unable to check API token: %w", err)
	}
	return userID, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
