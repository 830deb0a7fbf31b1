package main

import (
	"context"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/store"
)

func runMigrate(ctx context.Context, args []string) error {
	fs := newFlagSet("migrate", "[flags]", "Apply the pending database migrations (they also run at every start) and list their state.")
	db := addDBFlags(fs)
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		statuses, err := store.MigrationStatus(ctx, pool)
		if err != nil {
			return err
		}
		for _, s := range statuses {
			fmt.Printf("%-8s %s\n", s.State, s.Source.Path)
		}
		return nil
	})
}
