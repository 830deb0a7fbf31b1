package main

import (
	"context"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/audit"
)

func runAudit(ctx context.Context, args []string) error {
	return runGroup(ctx, "audit", args, []command{
		{"verify", "check the hash chains of the audit trail (one per agency)", runAuditVerify},
	})
}

func runAuditVerify(ctx context.Context, args []string) error {
	fs := newFlagSet("audit verify", "", "Walk every hash chain of the audit trail (one per agency) and check that no entry was edited or deleted.\nExits 1 and names the first broken entry when a chain does not hold.")
	db := addDBFlags(fs)
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		n, broken, err := audit.Verify(ctx, pool)
		if err != nil {
			return err
		}
		if broken != nil {
			return fmt.Errorf("audit trail broken at entry %d in the chain of agency %d (after %d entries checked): %s", broken.ID, broken.Chain, n-1, broken.Reason)
		}
		fmt.Printf("audit trail intact: %d entries\n", n)
		return nil
	})
}
