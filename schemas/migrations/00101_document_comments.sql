-- +goose Up
-- Comments (ý kiến) on a document: a thread seen by exactly those who see the document.
-- The leader's bút phê and the handlers' progress notes are not copied here: the thread
-- reads them from assignments. A comment is never edited or deleted (it is evidence of
-- who said what, when); its mentions are the users named with @username.
CREATE TABLE document_comments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES documents(id),
    author_id    bigint NOT NULL REFERENCES users(id),
    body         text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 4000),
    mentions     bigint[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_comments_document_idx ON document_comments (document_id, id);

-- +goose Down
DROP TABLE document_comments;
