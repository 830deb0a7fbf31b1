-- +goose Up
-- Where the issue stamp writes the number and the date on page 1 of an uploaded PDF,
-- as the clerk confirmed or dragged them on the preview (docs.Placement as JSON: the
-- areas in PDF points, their text size, and how they were placed). NULL: the form's
-- fixed areas (a composed draft, or an issuance nobody placed).
ALTER TABLE documents ADD COLUMN stamp_placement jsonb;

-- +goose Down
ALTER TABLE documents DROP COLUMN stamp_placement;
