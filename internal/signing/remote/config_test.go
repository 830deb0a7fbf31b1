package remote_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/signing/remote"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signing-providers.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigAndRegistry(t *testing.T) {
	t.Setenv("EDMS_MYSIGN_SECRET", "bi-mat")
	path := writeFile(t, `[
  {"id": "smartca", "name": "VNPT SmartCA", "kind": "csc", "base_url": "https://rmgateway.vnptit.vn/csc/v2",
   "client_id": "ubnd-yen-ninh", "client_secret": "s3cret", "timeout": "15s"},
  {"id": "mysign", "name": "Viettel MySign", "kind": "csc", "base_url": "https://mysign.example.vn/csc/v2",
   "client_id": "ubnd-yen-ninh", "client_secret_env": "EDMS_MYSIGN_SECRET"}
]`)
	cs, err := remote.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != "smartca" || cs[0].BaseURL != "https://rmgateway.vnptit.vn/csc/v2" ||
		time.Duration(cs[0].Timeout) != 15*time.Second || cs[1].ClientSecretEnv != "EDMS_MYSIGN_SECRET" {
		t.Fatalf("read %+v", cs)
	}
	reg, err := remote.NewRegistry(cs)
	if err != nil {
		t.Fatal(err)
	}
	list := reg.List()
	if len(list) != 2 || list[0].ID() != "smartca" || list[1].Name() != "Viettel MySign" {
		t.Errorf("registry lists %v", list)
	}
	if p, ok := reg.Get("mysign"); !ok || p.ID() != "mysign" {
		t.Error("Get(mysign) failed")
	}
	if _, ok := reg.Get("khac"); ok {
		t.Error("Get found an unconfigured provider")
	}
}

func TestLoadConfigNamesTheBadField(t *testing.T) {
	for _, tc := range []struct{ file, field string }{
		{`[{"id": "smartca", "name": "VNPT SmartCA", "kind": "csc"}]`, "base_url"},
		{`[{"id": "smartca", "name": "VNPT SmartCA", "kind": "csc", "baseurl": "https://x.vn/csc/v2"}]`, "baseurl"},
		{`[{"id": "smartca", "name": "VNPT SmartCA", "kind": "soap", "base_url": "https://x.vn/csc/v2"}]`, "kind"},
		{`[{"name": "VNPT SmartCA", "kind": "csc", "base_url": "https://x.vn/csc/v2"}]`, "id"},
		{`[{"id": "a", "name": "A", "kind": "csc", "base_url": "https://x.vn", "timeout": "nửa phút"}]`, "timeout"},
		{`{"id": "smartca"}`, "array"},
		{`[{"id": "a", "name": "A", "kind": "csc", "base_url": "http://provider.example.vn/csc/v2"}]`, "https"},
	} {
		_, err := remote.LoadConfig(writeFile(t, tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v, want an error naming %q", tc.file, err, tc.field)
		}
	}
}

func TestUnsetSecretVariableIsRefused(t *testing.T) {
	_, err := remote.New(remote.Config{ID: "mysign", Name: "Viettel MySign", Kind: remote.KindCSC,
		BaseURL: "https://mysign.example.vn/csc/v2", ClientID: "x", ClientSecretEnv: "EDMS_KHONG_CO_BIEN_NAY"})
	if err == nil || !strings.Contains(err.Error(), "EDMS_KHONG_CO_BIEN_NAY") {
		t.Errorf("got %v, want an error naming the variable", err)
	}
}

func TestConfigWrittenAsJSONLoadsBack(t *testing.T) {
	want := remote.Config{ID: "cscfake", Name: "Ký số từ xa", Kind: remote.KindCSC, BaseURL: "http://127.0.0.1:9/csc/v2",
		ClientID: "edms-demo", ClientSecret: "edms-demo-secret", Timeout: remote.Duration(20 * time.Second)}
	data, err := json.MarshalIndent([]remote.Config{want, {ID: "b", Name: "B", Kind: remote.KindCSC, BaseURL: "https://b.vn/csc/v2"}}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.LoadConfig(writeFile(t, string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != want || got[1].Timeout != 0 {
		t.Errorf("loaded %+v, want %+v", got, want)
	}
}
