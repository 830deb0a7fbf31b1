-- +goose Up
-- The check of a received document's digital signatures (Điều 20: authenticity and
-- integrity), made when it arrives if the node has a verifier: a document whose
-- signatures are invalid cannot be registered, only returned to its sender.
ALTER TABLE documents
    ADD COLUMN signature_check text NOT NULL DEFAULT 'unchecked'
        CHECK (signature_check IN ('unchecked', 'valid', 'invalid', 'unsigned')),
    ADD COLUMN signature_note text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE documents DROP COLUMN signature_check, DROP COLUMN signature_note;
