package access

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/audit"
	"edms/internal/org"
)

// Placement is one agency a new account works in, with its unit and roles there.
type Placement struct {
	AgencyID int64
	UnitID   *int64
	Position string
	Roles    []Role
}

// Actor is who performs an administrative change, for the audit trail.
type Actor struct {
	UserID   *int64
	Name     string // username, or "system"/"cli"
	ClientIP string
}

// CreateAccount creates a user with a checked, hashed password, places them in their
// agencies with their roles, and records it — all in one transaction.
func CreateAccount(ctx context.Context, pool *pgxpool.Pool, u *org.User, password string, places []Placement, by Actor) error {
	if err := org.ValidateUsername(u.Username); err != nil {
		return err
	}
	if err := CheckPasswordStrength(u.Username, password); err != nil {
		return err
	}
	if len(places) == 0 {
		return fmt.Errorf("user %s: give at least one agency", u.Username)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := org.CreateUser(ctx, tx, u); err != nil {
			return err
		}
		for _, p := range places {
			if err := place(ctx, tx, u.ID, p); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: by.UserID, Actor: by.Name, ClientIP: by.ClientIP,
			Action: "user.create", ObjectType: "user", ObjectID: fmt.Sprint(u.ID),
			Detail: map[string]any{"username": u.Username, "agencies": len(places)}})
	})
}

// place adds a membership and its roles.
func place(ctx context.Context, tx pgx.Tx, userID int64, p Placement) error {
	if err := org.SaveMembership(ctx, tx, org.Membership{UserID: userID, AgencyID: p.AgencyID, UnitID: p.UnitID, Position: p.Position}); err != nil {
		return err
	}
	for _, r := range p.Roles {
		if err := GrantRole(ctx, tx, userID, r, p.AgencyID); err != nil {
			return err
		}
	}
	return nil
}

// ChangePassword sets a new checked password, ends the user's sessions and records it.
func ChangePassword(ctx context.Context, pool *pgxpool.Pool, username, password string, by Actor) error {
	if err := CheckPasswordStrength(username, password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		u, err := org.UserByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		if err := org.SetPasswordHash(ctx, tx, u.ID, hash); err != nil {
			return err
		}
		if err := EndUserSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: by.UserID, Actor: by.Name, ClientIP: by.ClientIP,
			Action: "user.password", ObjectType: "user", ObjectID: fmt.Sprint(u.ID)})
	})
}

// DisableAccount stops a user from signing in, ends their sessions and records it.
func DisableAccount(ctx context.Context, pool *pgxpool.Pool, username string, by Actor) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		u, err := org.UserByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		if err := org.DisableUser(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := EndUserSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: by.UserID, Actor: by.Name, ClientIP: by.ClientIP,
			Action: "user.disable", ObjectType: "user", ObjectID: fmt.Sprint(u.ID)})
	})
}
