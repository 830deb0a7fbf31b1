package demo

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/org"
	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func TestSeedNodeHostsItsAgenciesAndAddressesTheOthers(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewDB(t)
	hosted := []string{YenNinhID}
	for range 2 { // idempotent
		if err := SeedNode(ctx, pool, hosted, DefaultPassword); err != nil {
			t.Fatal(err)
		}
	}
	for _, organID := range AgencyIDs() {
		a, err := org.AgencyByOrganID(ctx, pool, organID)
		if err != nil {
			t.Fatalf("%s is not in the directory: %v", organID, err)
		}
		units, err := org.Units(ctx, pool, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := organID == YenNinhID; (len(units) > 0) != want {
			t.Errorf("%s has %d units, hosted %v", organID, len(units), want)
		}
	}
	for _, acc := range Accounts {
		_, err := org.UserByUsername(ctx, pool, acc.Username)
		if want := acc.Agency == YenNinhID; (err == nil) != want {
			t.Errorf("account %s: %v, hosted %v", acc.Username, err, want)
		}
	}
	if err := SeedNode(ctx, pool, []string{"000.99.99.H99"}, DefaultPassword); err == nil {
		t.Error("an agency outside the demo network was seeded")
	}

	keys := docsign.Keyring{Dir: t.TempDir(), Password: "edms-demo-keys"}
	ca, err := LoadOrCreateCA(filepath.Join(t.TempDir(), "root.p12"), pki.DemoRootName, keys.Password)
	if err != nil {
		t.Fatal(err)
	}
	if err := IssueKeys(ctx, pool, ca, keys, hosted); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		keys.AgencyPath(YenNinhID):                           true,
		keys.PersonPath("chutich.yenninh"):                   true,
		keys.AgencyPath(DistrictID):                          false,
		filepath.Join(keys.TrustDir(), "edms-demo-root.pem"): true,
	} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: %v, want present %v", path, err, want)
		}
	}
}

func TestSeedNodeDocumentsAddressesOtherNodesThroughTheExchange(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewDB(t)
	hosted := []string{DistrictID}
	if err := SeedNode(ctx, pool, hosted, DefaultPassword); err != nil {
		t.Fatal(err)
	}
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := river.NewClient(riverpgxv5.New(pool), &river.Config{}) // insert only
	if err != nil {
		t.Fatal(err)
	}
	svc := &docs.Service{Pool: pool, Access: enforcer, Queue: queue}
	if err := SeedNodeDocuments(ctx, svc, hosted); err != nil {
		t.Fatal(err)
	}
	var copies, local, sent int
	if err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM documents d JOIN agencies a ON a.id = d.agency_id WHERE a.organ_id <> $1),
			(SELECT count(*) FROM document_recipients WHERE agency_id IS NOT NULL),
			(SELECT count(*) FROM document_recipients WHERE organ_id = $2)`, DistrictID, YenNinhID).Scan(&copies, &local, &sent); err != nil {
		t.Fatal(err)
	}
	if copies != 0 || local != 0 || sent == 0 {
		t.Errorf("%d documents of other agencies, %d recipients handed over inside, %d addressed to Yên Ninh", copies, local, sent)
	}
}
