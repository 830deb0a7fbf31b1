package org_test

import (
	"context"
	"errors"
	"testing"

	"edms/internal/org"
	"edms/internal/store/storetest"
)

func TestEdxmlPlaceholderSignatureIsChosenPerRecipient(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	importCSV(t, pool, twoLevelCSV)
	if err := org.SetEdxmlPlaceholderSignature(ctx, pool, "000.00.11.H56", true); err != nil {
		t.Fatal(err)
	}
	peers, err := org.EdxmlPlaceholderPeers(ctx, pool, []string{"000.00.11.H56", "000.00.00.H56", "000.00.00.G22"})
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 1 || !peers["000.00.11.H56"] {
		t.Fatalf("placeholder peers %v, want only 000.00.11.H56", peers)
	}
	if err := org.SetEdxmlPlaceholderSignature(ctx, pool, "000.00.11.H56", false); err != nil {
		t.Fatal(err)
	}
	if peers, _ := org.EdxmlPlaceholderPeers(ctx, pool, []string{"000.00.11.H56"}); len(peers) != 0 {
		t.Fatalf("switched off, still %v", peers)
	}
	if err := org.SetEdxmlPlaceholderSignature(ctx, pool, "000.00.99.H99", true); !errors.Is(err, org.ErrAgencyNotFound) {
		t.Fatalf("unknown agency: err = %v", err)
	}
}
