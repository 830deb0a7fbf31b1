-- +goose Up
-- What waits for a person (a document assigned, a draft returned, a signature asked, a
-- deadline near), shown in the top bar and on the notifications page until read. The
-- table belongs to the collaboration work (00100); it is created here too, with the
-- same columns, in case that migration is not there.
CREATE TABLE IF NOT EXISTS notifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id),
    document_id  bigint REFERENCES documents(id),
    kind         text NOT NULL,
    text         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz
);
CREATE INDEX IF NOT EXISTS notifications_unread_idx ON notifications (user_id, id) WHERE read_at IS NULL;

-- How each person wants to hear of their notifications by e-mail: at once, in the
-- daily digest, or not at all. No row: the daily digest.
CREATE TABLE notification_settings (
    user_id     bigint PRIMARY KEY REFERENCES users(id),
    email_mode  text NOT NULL CHECK (email_mode IN ('immediate', 'daily', 'off')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE notification_settings;
