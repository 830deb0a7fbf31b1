// Package schemas embeds the project's declarative files into the binary: the SQL
// migrations (goose format, applied in order at start-up and by `edms migrate`), the
// casbin RBAC model, and the interchange schemas.
package schemas

import "embed"

// Migrations holds schemas/migrations/*.sql.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// RBACModel is the casbin model: role-based access control with domains, where the
// domain is the agency a user acts in.
//
//go:embed rbac_model.conf
var RBACModel string

// OpenAPI describes the JSON API of a node (served at /api/v1/openapi.json).
//
//go:embed openapi.json
var OpenAPI []byte
