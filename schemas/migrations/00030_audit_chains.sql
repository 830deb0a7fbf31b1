-- +goose Up
-- One hash chain per agency instead of one for the whole trail, so that appends in
-- different agencies never wait for each other's lock. An entry's chain is its
-- agency (0 for entries without one). The entries written before this migration
-- stay in chain 0, where their links still hold; adding a column with a constant
-- default rewrites no row, so the append-only triggers are not involved.
ALTER TABLE audit_log ADD COLUMN chain bigint NOT NULL DEFAULT 0;
CREATE INDEX audit_log_chain_idx ON audit_log (chain, id);

-- +goose Down
DROP INDEX audit_log_chain_idx;
ALTER TABLE audit_log DROP COLUMN chain;
