-- +goose Up
-- Internal distribution (văn bản nội bộ): a document of the agency — a signed tờ trình
-- or plan, a registered incoming document — sent to units and people inside the same
-- agency. One row per recipient: a unit (every member of it sees the document) or a
-- person. read_* is the first time someone of the recipient opened it; handled_* when
-- they reported it handled, with their note. The sender sees each recipient's status.
CREATE TABLE internal_recipients (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id   bigint NOT NULL REFERENCES documents(id),
    unit_id       bigint REFERENCES units(id),
    user_id       bigint REFERENCES users(id),
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    sent_by       bigint NOT NULL REFERENCES users(id),
    sent_at       timestamptz NOT NULL DEFAULT now(),
    read_by       bigint REFERENCES users(id),
    read_at       timestamptz,
    handled_by    bigint REFERENCES users(id),
    handled_at    timestamptz,
    handled_note  text NOT NULL DEFAULT '' CHECK (length(handled_note) <= 2000),
    CHECK ((unit_id IS NULL) <> (user_id IS NULL)),
    CHECK ((read_at IS NULL) = (read_by IS NULL)),
    CHECK ((handled_at IS NULL) = (handled_by IS NULL))
);
CREATE UNIQUE INDEX internal_recipients_unit_key ON internal_recipients (document_id, unit_id) WHERE unit_id IS NOT NULL;
CREATE UNIQUE INDEX internal_recipients_user_key ON internal_recipients (document_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX internal_recipients_user_idx ON internal_recipients (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX internal_recipients_unit_idx ON internal_recipients (unit_id) WHERE unit_id IS NOT NULL;

-- +goose Down
DROP TABLE internal_recipients;
