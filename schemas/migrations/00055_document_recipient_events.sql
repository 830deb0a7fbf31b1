-- +goose Up
-- Every status a recipient of an outgoing document reported (01–06, and the answers
-- 15/16 to a recall or an update), in the order it was recorded. A status that ranks
-- below the one applied, or ties it with an older Timestamp, arrived late: it is kept
-- here as stale and does not change the recipient's current status (docs.ApplyStatusTx).
-- A repeat of the same (code, at) is recorded once.
CREATE TABLE document_recipient_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id    bigint NOT NULL,
    recipient_ord  int NOT NULL,
    code           text NOT NULL CHECK (code IN ('01', '02', '03', '04', '05', '06', '15', '16')),
    at             timestamptz NOT NULL,   -- the status's Timestamp, or when the event happened
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    note           text NOT NULL DEFAULT '',
    receipt_id     text NOT NULL DEFAULT '',
    stale          boolean NOT NULL DEFAULT false,
    FOREIGN KEY (document_id, recipient_ord) REFERENCES document_recipients (document_id, ord)
);
CREATE UNIQUE INDEX document_recipient_events_once_key
    ON document_recipient_events (document_id, recipient_ord, code, at);

-- The change (1 recall, 2 update) the sender last asked of a recipient, and the
-- recipient's answer (15 agreed, 16 refused, '' none yet).
ALTER TABLE document_recipients
    ADD COLUMN change_business smallint NOT NULL DEFAULT 0 CHECK (change_business IN (0, 1, 2)),
    ADD COLUMN change_answer   text NOT NULL DEFAULT '' CHECK (change_answer IN ('', '15', '16')),
    ADD COLUMN change_note     text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE document_recipients DROP COLUMN change_business, DROP COLUMN change_answer, DROP COLUMN change_note;
DROP TABLE document_recipient_events;
