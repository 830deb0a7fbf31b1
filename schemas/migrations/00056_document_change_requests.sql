-- +goose Up
-- What the sender of an incoming document asks to change after sending it: a recall
-- (business 1, or status 13) or an update of its metadata (business 2). The clerk
-- accepts (status 15 back) or refuses with a reason (16); a copy already handled is
-- refused by the system. A request is never deleted.
CREATE TABLE document_change_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id   bigint NOT NULL REFERENCES documents(id),
    business      smallint NOT NULL CHECK (business IN (1, 2)),
    reason        text NOT NULL DEFAULT '',
    changes       jsonb NOT NULL DEFAULT '{}',  -- for an update: the new metadata
    receipt_id    text NOT NULL DEFAULT '',
    requested_at  timestamptz NOT NULL DEFAULT now(),
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'refused', 'superseded')),
    answered_by   bigint REFERENCES users(id),  -- NULL: answered by the system
    answered_at   timestamptz,
    answer_note   text NOT NULL DEFAULT '',
    CHECK ((state = 'pending') = (answered_at IS NULL))
);
CREATE UNIQUE INDEX document_change_requests_receipt_key ON document_change_requests (document_id, receipt_id)
    WHERE receipt_id <> '';
CREATE UNIQUE INDEX document_change_requests_pending_key ON document_change_requests (document_id)
    WHERE state = 'pending';

-- An incoming copy that a replacement from its sender superseded: state replaced,
-- pointing at the new copy.
ALTER TABLE documents
    ADD COLUMN replaced_by_id bigint REFERENCES documents(id),
    DROP CONSTRAINT documents_incoming_state_check,
    ADD CONSTRAINT documents_incoming_state_check CHECK (incoming_state IN ('received', 'rejected', 'registered',
        'submitted', 'assigned', 'in_progress', 'completed', 'filed', 'recalled', 'replaced'));

-- +goose Down
ALTER TABLE documents
    DROP COLUMN replaced_by_id,
    DROP CONSTRAINT documents_incoming_state_check,
    ADD CONSTRAINT documents_incoming_state_check CHECK (incoming_state IN ('received', 'rejected', 'registered',
        'submitted', 'assigned', 'in_progress', 'completed', 'filed', 'recalled'));
DROP TABLE document_change_requests;
