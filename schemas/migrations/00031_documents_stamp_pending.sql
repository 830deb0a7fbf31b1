-- +goose Up
-- An issued number is committed first and stamped on the PDF afterwards, outside the
-- issuing transaction (docs.Service.Issue): stamp_pending marks a numbered document
-- whose PDF does not show its number yet. The partial index keeps finding them cheap.
ALTER TABLE documents ADD COLUMN stamp_pending boolean NOT NULL DEFAULT false;
CREATE INDEX documents_stamp_pending_idx ON documents (id) WHERE stamp_pending;

-- +goose Down
DROP INDEX documents_stamp_pending_idx;
ALTER TABLE documents DROP COLUMN stamp_pending;
