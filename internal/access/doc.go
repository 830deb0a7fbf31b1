// Package access decides who may do what: passwords (argon2id), sign-in with throttling,
// server-side sessions with CSRF tokens, API tokens for machine clients, and the casbin
// enforcer that maps roles to permissions.
//
// Authorisation is RBAC with domains (schemas/rbac_model.conf): the domain is the agency
// a person acts in, so one user can be a clerk (van_thu) in one agency and a specialist
// in another. The role → permission matrix is the Go catalogue in roles.go, written to
// casbin_rule (domain "*") at start-up; role grants are rows (user, role, agency) in the
// same table. Policies are read through a small pgx adapter, and every instance reloads
// them when PostgreSQL notifies a change (LISTEN/NOTIFY, sent in the granting
// transaction), so several servers on one database agree without shared memory.
package access
