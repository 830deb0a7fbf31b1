-- +goose Up
-- Per recipient edXML compatibility: some peers run software built on the reference
-- library, which cannot read a namespaced XML-DSig Signature. For them edms writes
-- the library's placeholder Signature instead: the package then travels unsigned,
-- and the sender is told so. Off by default: packages are signed.
ALTER TABLE agencies ADD COLUMN edxml_placeholder_signature boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE agencies DROP COLUMN edxml_placeholder_signature;
