-- +goose Up
-- A draft deleted before it was ever issued: hidden from everyone, kept with its
-- versions (nothing issued is lost), and named in the audit trail.
ALTER TABLE documents
    ADD COLUMN deleted_at timestamptz,
    ADD COLUMN deleted_by bigint REFERENCES users(id),
    ADD CONSTRAINT documents_deleted_draft_check CHECK (deleted_at IS NULL OR (code_number = '' AND direction = 'outgoing'));

-- Ủy quyền: a leader lets a deputy sign (or assign) for a period. The signer's block
-- then reads KT. / TL. / TUQ. followed by the leader's position. A delegate cannot
-- delegate further: only what a person holds by their own role can be delegated.
CREATE TABLE delegations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id    bigint NOT NULL REFERENCES agencies(id),
    delegator_id bigint NOT NULL REFERENCES users(id),
    delegate_id  bigint NOT NULL REFERENCES users(id),
    scope        text NOT NULL CHECK (scope IN ('sign', 'assign')),
    prefix       text NOT NULL CHECK (prefix IN ('KT.', 'TL.', 'TUQ.')),
    starts_on    date NOT NULL,
    ends_on      date NOT NULL,
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    revoked_by   bigint REFERENCES users(id),
    CHECK (ends_on >= starts_on),
    CHECK (delegator_id <> delegate_id)
);
CREATE INDEX delegations_delegate_idx ON delegations (agency_id, delegate_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE delegations;
ALTER TABLE documents
    DROP CONSTRAINT documents_deleted_draft_check,
    DROP COLUMN deleted_by,
    DROP COLUMN deleted_at;
