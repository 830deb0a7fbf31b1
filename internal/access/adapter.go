package access

import (
	"context"
	"fmt"
	"strings"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgxAdapter stores casbin policies in the casbin_rule table through pgx (no pgx
// adapter is published on the module proxy). casbin's Adapter interface carries no
// context, so the adapter holds the one it was built with.
type pgxAdapter struct {
	ctx  context.Context
	pool *pgxpool.Pool
}

var _ persist.Adapter = (*pgxAdapter)(nil)

// LoadPolicy reads every rule into the model.
func (a *pgxAdapter) LoadPolicy(m model.Model) error {
	rows, err := a.pool.Query(a.ctx, `SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rule ORDER BY id`)
	if err != nil {
		return fmt.Errorf("access: unable to load policies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v [7]string
		if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err != nil {
			return fmt.Errorf("access: unable to read a policy: %w", err)
		}
		rule := v[:]
		for len(rule) > 1 && rule[len(rule)-1] == "" {
			rule = rule[:len(rule)-1]
		}
		if err := persist.LoadPolicyArray(rule, m); err != nil {
			return fmt.Errorf("access: policy %s: %w", strings.Join(rule, ", "), err)
		}
	}
	return rows.Err()
}

// SavePolicy replaces the stored rules with the model's, in one transaction.
func (a *pgxAdapter) SavePolicy(m model.Model) error {
	return pgx.BeginFunc(a.ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(a.ctx, `DELETE FROM casbin_rule`); err != nil {
			return err
		}
		for _, sec := range []string{"p", "g"} {
			for ptype, assertion := range m[sec] {
				for _, rule := range assertion.Policy {
					if err := insertRule(a.ctx, tx, ptype, rule); err != nil {
						return err
					}
				}
			}
		}
		return notifyPolicyChange(a.ctx, tx)
	})
}

// AddPolicy stores one rule.
func (a *pgxAdapter) AddPolicy(_ string, ptype string, rule []string) error {
	return pgx.BeginFunc(a.ctx, a.pool, func(tx pgx.Tx) error {
		if err := insertRule(a.ctx, tx, ptype, rule); err != nil {
			return err
		}
		return notifyPolicyChange(a.ctx, tx)
	})
}

// RemovePolicy deletes one rule.
func (a *pgxAdapter) RemovePolicy(_ string, ptype string, rule []string) error {
	return a.RemoveFilteredPolicy("", ptype, 0, rule...)
}

// RemoveFilteredPolicy deletes the rules whose fields from fieldIndex on equal the
// given non-empty values.
func (a *pgxAdapter) RemoveFilteredPolicy(_ string, ptype string, fieldIndex int, values ...string) error {
	if fieldIndex < 0 || fieldIndex+len(values) > 6 {
		return fmt.Errorf("access: bad policy filter at field %d", fieldIndex)
	}
	sql := `DELETE FROM casbin_rule WHERE ptype = $1`
	args := []any{ptype}
	for i, v := range values {
		if v == "" {
			continue
		}
		args = append(args, v)
		sql += fmt.Sprintf(" AND v%d = $%d", fieldIndex+i, len(args))
	}
	return pgx.BeginFunc(a.ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(a.ctx, sql, args...); err != nil {
			return fmt.Errorf("access: unable to remove policies: %w", err)
		}
		return notifyPolicyChange(a.ctx, tx)
	})
}

func insertRule(ctx context.Context, tx pgx.Tx, ptype string, rule []string) error {
	var v [6]string
	copy(v[:], rule)
	_, err := tx.Exec(ctx, `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`, ptype, v[0], v[1], v[2], v[3], v[4], v[5])
	if err != nil {
		return fmt.Errorf("access: unable to store policy: %w", err)
	}
	return nil
}

// policyChannel is the PostgreSQL notification channel of policy changes.
const policyChannel = "edms_policy"

// notifyPolicyChange tells every instance to reload; PostgreSQL delivers it on commit.
func notifyPolicyChange(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, policyChannel)
	return err
}
