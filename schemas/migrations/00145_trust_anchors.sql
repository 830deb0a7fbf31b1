-- +goose Up
-- The trust anchors administrators add or remove from the keys page. The table is the
-- source of truth for every instance behind this database; the files of the trust
-- folder are the operator's initial set and a cache. A removed anchor keeps its row
-- (removed = true) so that it stays removed even when a file still holds it.
CREATE TABLE trust_anchors (
    fingerprint  text PRIMARY KEY,          -- SHA-256 of the DER, lower-case hex
    der          bytea NOT NULL,
    subject      text NOT NULL,
    removed      boolean NOT NULL DEFAULT false,
    changed_by   bigint REFERENCES users(id),
    changed_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE trust_anchors;
