package main

import (
	"context"
	"fmt"

	"edms/internal/store"
)

func runMigrate(ctx context.Context, args []string) error {
	fs := newFlagSet("migrate", "[flags]", "Apply the pending database migrations (they also run at every start) and list their state.")
	db := addDBFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pool, closeDB, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	statuses, err := store.MigrationStatus(ctx, pool)
	if err != nil {
		return err
	}
	for _, s := range statuses {
		fmt.Printf("%-8s %s\n", s.State, s.Source.Path)
	}
	return nil
}
