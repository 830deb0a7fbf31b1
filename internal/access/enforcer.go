package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/store"
	"edms/schemas"
)

// Enforcer answers "may this user do this in this agency?".
type Enforcer struct {
	casbin *casbin.SyncedEnforcer
	pool   *pgxpool.Pool
}

// UserSubject and AgencyDomain are how users and agencies appear in casbin rules.
func UserSubject(userID int64) string    { return "user:" + strconv.FormatInt(userID, 10) }
func AgencyDomain(agencyID int64) string { return "agency:" + strconv.FormatInt(agencyID, 10) }

// NewEnforcer writes the role → permission catalogue into casbin_rule (so the database
// always holds the matrix this binary enforces) and loads every policy.
func NewEnforcer(ctx context.Context, pool *pgxpool.Pool) (*Enforcer, error) {
	if err := store.InTx(ctx, pool, func(tx pgx.Tx) error { return syncRolePermissions(ctx, tx) }); err != nil {
		return nil, err
	}
	m, err := model.NewModelFromString(schemas.RBACModel)
	if err != nil {
		return nil, fmt.Errorf("access: bad casbin model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, &pgxAdapter{ctx: context.WithoutCancel(ctx), pool: pool})
	if err != nil {
		return nil, fmt.Errorf("access: unable to start casbin: %w", err)
	}
	return &Enforcer{casbin: e, pool: pool}, nil
}

// syncRolePermissions makes the p rules of domain "*" equal the Go catalogue.
func syncRolePermissions(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = '*'`); err != nil {
		return fmt.Errorf("access: unable to reset role permissions: %w", err)
	}
	for _, r := range Roles {
		for _, p := range rolePermissions[r.Role] {
			if err := insertRule(ctx, tx, "p", []string{string(r.Role), "*", p.Object, p.Action}); err != nil {
				return err
			}
		}
	}
	return notifyPolicyChange(ctx, tx)
}

// Can reports whether the user holds, in the agency, a role granting the permission.
func (e *Enforcer) Can(userID, agencyID int64, p Permission) bool {
	ok, err := e.casbin.Enforce(UserSubject(userID), AgencyDomain(agencyID), p.Object, p.Action)
	if err != nil {
		slog.Error("access: casbin enforcement failed", "err", err)
		return false
	}
	return ok
}

// Reload re-reads every policy from the database.
func (e *Enforcer) Reload() error {
	if err := e.casbin.LoadPolicy(); err != nil {
		return fmt.Errorf("access: unable to reload policies: %w", err)
	}
	return nil
}

// Listen reloads the policies whenever any instance changes them, until ctx ends.
func (e *Enforcer) Listen(ctx context.Context) {
	for ctx.Err() == nil {
		if err := e.listenOnce(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("access: policy listener lost its connection; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}
}

// listenOnce listens on a connection of its own, outside the pool, so that the
// listener never takes a connection the requests need.
func (e *Enforcer) listenOnce(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, e.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+policyChannel); err != nil {
		return err
	}
	if err := e.Reload(); err != nil { // changes made while we were not listening
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		if err := e.Reload(); err != nil {
			return err
		}
	}
}

// GrantRole gives a user a role in an agency, inside the caller's transaction. The
// user must be a member of the agency.
func GrantRole(ctx context.Context, tx pgx.Tx, userID int64, role Role, agencyID int64) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	var member bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND agency_id = $2)`,
		userID, agencyID).Scan(&member); err != nil {
		return fmt.Errorf("access: unable to check membership: %w", err)
	}
	if !member {
		return ErrNotMember
	}
	if err := insertRule(ctx, tx, "g", []string{UserSubject(userID), string(role), AgencyDomain(agencyID)}); err != nil {
		return err
	}
	return notifyPolicyChange(ctx, tx)
}

// RevokeRole takes a role back.
func RevokeRole(ctx context.Context, tx pgx.Tx, userID int64, role Role, agencyID int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM casbin_rule WHERE ptype = 'g' AND v0 = $1 AND v1 = $2 AND v2 = $3`,
		UserSubject(userID), string(role), AgencyDomain(agencyID)); err != nil {
		return fmt.Errorf("access: unable to revoke role: %w", err)
	}
	return notifyPolicyChange(ctx, tx)
}

// ErrNotMember refuses a role in an agency the user does not belong to.
var ErrNotMember = errors.New("the user is not a member of that agency")

// RolesIn lists the roles a user holds in an agency, read from the database.
func RolesIn(ctx context.Context, db store.DB, userID, agencyID int64) ([]Role, error) {
	rows, err := db.Query(ctx, `SELECT v1 FROM casbin_rule WHERE ptype = 'g' AND v0 = $1 AND v2 = $2 ORDER BY v1`,
		UserSubject(userID), AgencyDomain(agencyID))
	if err != nil {
		return nil, fmt.Errorf("access: unable to list roles: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Role, error) {
		var r string
		err := row.Scan(&r)
		return Role(r), err
	})
}
