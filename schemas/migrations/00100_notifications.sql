-- +goose Up
-- Notifications: one row per thing a user should know about, written in the
-- transaction of the change that causes it. kind says what happened:
--   'mention'  someone named the user (@username) in a comment on document_id;
--   'internal' an internal document (văn bản nội bộ) was sent to the user or their unit;
--   other kinds may be added by the features that write them (keep them short ASCII).
-- text is a one-line Vietnamese summary ready to show or e-mail. read_at is NULL until
-- the user has seen the notification: the unread count is
--   SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL
-- which the partial index below answers.
CREATE TABLE notifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id),
    document_id  bigint REFERENCES documents(id),
    kind         text NOT NULL CHECK (kind ~ '^[a-z_]{1,30}$'),
    text         text NOT NULL CHECK (btrim(text) <> '' AND length(text) <= 1000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz
);
CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);

-- +goose Down
DROP TABLE notifications;
