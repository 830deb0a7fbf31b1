-- +goose Up
-- A record (hồ sơ) is open while documents are added to it (and removed from it); once
-- closed (kết thúc hồ sơ) its list is frozen and it can be exported for the archive.
-- A record's description and retention period (thời hạn bảo quản) go into that export.
ALTER TABLE records
    ADD COLUMN description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    ADD COLUMN retention   text NOT NULL DEFAULT '' CHECK (length(retention) <= 100),
    ADD COLUMN closed_by   bigint REFERENCES users(id),
    ADD COLUMN closed_at   timestamptz,
    ADD CHECK ((closed_by IS NULL) = (closed_at IS NULL));
CREATE INDEX record_documents_document_idx ON record_documents (document_id);

-- +goose Down
DROP INDEX record_documents_document_idx;
ALTER TABLE records DROP COLUMN closed_at, DROP COLUMN closed_by, DROP COLUMN retention, DROP COLUMN description;
