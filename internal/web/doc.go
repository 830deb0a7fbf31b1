// Package web is the HTTP face of an edms node: the HTML pages officials use (in
// Vietnamese) and the JSON API for machine clients, on gorilla/mux.
//
// Every route is declared in routes.go with the permission it needs (or explicitly as
// public / any signed-in member); the router refuses a route without one, and a test
// walks the router to prove it. Each route also has a body rule (body.go: nothing, a
// small form, JSON, a parsed or streamed upload, or a raw upload, with its size
// limit), applied before anything reads the body, the CSRF check included; text with
// NUL bytes or invalid UTF-8 is refused in that one place. Requests are authenticated
// by a server-side session cookie (HTML, with a CSRF token on every form post) or by
// an API token (Authorization: Bearer edms_...). The agency a request acts in is the session's
// current agency, or for API tokens the X-EDMS-Agency header (an organ_id) when the
// user belongs to several.
package web
