// Package store owns the connection to PostgreSQL, the one store of edms: the pgx
// pool, the embedded migrations (goose, from schemas/migrations, then River's for the
// job queue), transactions, and
// the private PostgreSQL cluster that the demo and the tests start from the system's
// binaries when no database URL is configured.
package store
