package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/audit"
	"edms/internal/org"
)

// The administration of an agency's people from its pages: each change is made in
// one transaction that first finds the person among the agency's members (an
// administrator manages their own agency's people only), and is audited in the
// agency's chain.

// ErrOwnAdminRole refuses an administrator taking away their own administration role
// (which would leave nobody to give it back).
var ErrOwnAdminRole = errors.New("access: administrators cannot remove their own quan_tri role")

// SetPlacement moves a member of p.AgencyID to another unit or position and gives
// them exactly the roles p lists there.
func SetPlacement(ctx context.Context, pool *pgxpool.Pool, userID int64, p Placement, by Actor) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		u, err := org.MemberByID(ctx, tx, userID, p.AgencyID)
		if err != nil {
			return err
		}
		held, err := RolesIn(ctx, tx, u.ID, p.AgencyID)
		if err != nil {
			return err
		}
		if by.UserID != nil && *by.UserID == u.ID && slices.Contains(held, QuanTri) && !slices.Contains(p.Roles, QuanTri) {
			return ErrOwnAdminRole
		}
		for _, r := range held {
			if !slices.Contains(p.Roles, r) {
				if err := RevokeRole(ctx, tx, u.ID, r, p.AgencyID); err != nil {
					return err
				}
			}
		}
		if err := place(ctx, tx, u.ID, p); err != nil {
			return err
		}
		return recordAdmin(ctx, tx, by, p.AgencyID, "user.placement", u, map[string]any{"roles": p.Roles, "position": p.Position})
	})
}

// SetDisabled disables a member (their sessions end) or lets them sign in again.
func SetDisabled(ctx context.Context, pool *pgxpool.Pool, userID, agencyID int64, disabled bool, by Actor) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		u, err := org.MemberByID(ctx, tx, userID, agencyID)
		if err != nil {
			return err
		}
		if !disabled {
			if err := org.EnableUser(ctx, tx, u.ID); err != nil {
				return err
			}
			return recordAdmin(ctx, tx, by, agencyID, "user.enable", u, nil)
		}
		if err := org.DisableUser(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := EndUserSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		return recordAdmin(ctx, tx, by, agencyID, "user.disable", u, nil)
	})
}

// ResetPassword gives a member a new checked password chosen by the administrator;
// their sessions end.
func ResetPassword(ctx context.Context, pool *pgxpool.Pool, userID, agencyID int64, password string, by Actor) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		u, err := org.MemberByID(ctx, tx, userID, agencyID)
		if err != nil {
			return err
		}
		hash, err := checkedHash(u.Username, password)
		if err != nil {
			return err
		}
		if err := org.SetPasswordHash(ctx, tx, u.ID, hash); err != nil {
			return err
		}
		if err := EndUserSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		return recordAdmin(ctx, tx, by, agencyID, "user.password_reset", u, nil)
	})
}

// ChangeOwnPassword lets a person replace their password after giving the current
// one; their other sessions end and a new session for this one is returned, so that
// they stay signed in where they changed it.
func ChangeOwnPassword(ctx context.Context, pool *pgxpool.Pool, userID, agencyID int64, current, password string, by Actor, userAgent string) (token string, err error) {
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		u, err := org.MemberByID(ctx, tx, userID, agencyID)
		if err != nil {
			return err
		}
		if ok, err := VerifyPassword(u.PasswordHash, current); err != nil || !ok {
			return ErrBadCredentials
		}
		hash, err := checkedHash(u.Username, password)
		if err != nil {
			return err
		}
		if err := org.SetPasswordHash(ctx, tx, u.ID, hash); err != nil {
			return err
		}
		if err := EndUserSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		if token, _, err = CreateSession(ctx, tx, u.ID, agencyID, by.ClientIP, userAgent); err != nil {
			return err
		}
		return recordAdmin(ctx, tx, by, agencyID, "user.password", u, nil)
	})
	return token, err
}

// checkedHash refuses a weak password, else hashes it.
func checkedHash(username, password string) (string, error) {
	if err := CheckPasswordStrength(username, password); err != nil {
		return "", err
	}
	return HashPassword(password)
}

func recordAdmin(ctx context.Context, tx pgx.Tx, by Actor, agencyID int64, action string, u *org.User, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["username"] = u.Username
	return audit.Record(ctx, tx, audit.Entry{ActorID: by.UserID, Actor: by.Name, ClientIP: by.ClientIP, AgencyID: &agencyID,
		Action: action, ObjectType: "user", ObjectID: fmt.Sprint(u.ID), Detail: detail})
}

// ErrNoTokenName refuses an API token that does not say what uses it.
var ErrNoTokenName = errors.New("access: an API token needs a name")

// IssueToken creates an API token (returned once) for a machine client acting as a
// member of the agency.
func IssueToken(ctx context.Context, pool *pgxpool.Pool, userID, agencyID int64, name string, by Actor) (token string, err error) {
	if strings.TrimSpace(name) == "" {
		return "", ErrNoTokenName
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		u, err := org.MemberByID(ctx, tx, userID, agencyID)
		if err != nil {
			return err
		}
		if token, err = CreateAPIToken(ctx, tx, u.ID, name); err != nil {
			return err
		}
		return recordAdmin(ctx, tx, by, agencyID, "user.token", u, map[string]any{"name": name})
	})
	return token, err
}
