package web_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"edms/schemas"
)

// TestOpenAPIMatchesRoutes checks that schemas/openapi.json documents exactly the API
// routes of the router, each with the permission the route enforces.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	_, srv := newDemoServer(t)
	var spec struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(schemas.OpenAPI, &spec); err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{} // "GET /api/v1/x" → description
	for path, ops := range spec.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op.Description
		}
	}
	permission := regexp.MustCompile("Quyền: `([a-z_]+:[a-z_]+)`")
	routed := map[string]bool{}
	err := srv.Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil || route.GetHandler() == nil || !(strings.HasPrefix(path, "/api/") || path == "/healthz") || route.GetName() == "api.openapi" {
			return nil
		}
		path = withoutPatterns(path)
		methods, _ := route.GetMethods()
		rule, _ := srv.RouteRule(route.GetName())
		for _, m := range methods {
			if m == "HEAD" {
				continue // answered wherever GET is; the spec documents the GET
			}
			key := m + " " + path
			routed[key] = true
			desc, ok := documented[key]
			if !ok {
				t.Errorf("%s is not in schemas/openapi.json", key)
				continue
			}
			got := "public"
			if m := permission.FindStringSubmatch(desc); m != nil {
				got = m[1]
			}
			if got != rule {
				t.Errorf("%s: the spec says %s, the route enforces %s", key, got, rule)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key := range documented {
		if !routed[key] {
			t.Errorf("schemas/openapi.json documents %s, which no route serves", key)
		}
	}
}

// withoutPatterns turns a mux template "/x/{id:[0-9]{4}}" into the OpenAPI "/x/{id}".
func withoutPatterns(template string) string {
	var b strings.Builder
	depth := 0
	skipping := false
	for _, r := range template {
		switch {
		case r == '{':
			depth++
			if depth == 1 {
				b.WriteRune(r)
			}
		case r == '}':
			depth--
			if depth == 0 {
				skipping = false
				b.WriteRune(r)
			}
		case depth == 1 && r == ':':
			skipping = true
		case depth == 0 || !skipping:
			b.WriteRune(r)
		}
	}
	return b.String()
}
