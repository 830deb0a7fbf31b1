-- +goose Up
-- Delivery through the exchange, per recipient: "sending" while its package waits in
-- River's exchange queue, "sent" once the hub acknowledged it (receipt_id is the
-- hub's receipt), "failed" when the job used its attempts (status_note holds the
-- reason). The last package sent to the recipient is kept (id, business type,
-- reason), so that the clerk's "Gửi lại" repeats the same package and a copy that did
-- arrive is recognised as a duplicate.
ALTER TABLE document_recipients
    DROP CONSTRAINT document_recipients_status_check,
    ADD CONSTRAINT document_recipients_status_check CHECK (status IN ('pending', 'sending', 'sent', 'failed',
        'arrived', 'rejected', 'registered', 'assigned', 'in_progress', 'completed',
        'recalled', 'recall_refused')),
    ADD COLUMN package_id text NOT NULL DEFAULT '',
    ADD COLUMN package_business int NOT NULL DEFAULT 0 CHECK (package_business BETWEEN 0 AND 3),
    ADD COLUMN package_reason text NOT NULL DEFAULT '',
    ADD COLUMN receipt_id text NOT NULL DEFAULT '';

-- A DOCX version whose conversion to PDF failed for good keeps the drafter's sentence
-- (docs.ConversionFailures); the conversion itself is a River job.
ALTER TABLE document_files ADD COLUMN conversion_failure text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE document_files DROP COLUMN conversion_failure;
UPDATE document_recipients SET status = 'sent' WHERE status IN ('sending', 'failed');
ALTER TABLE document_recipients
    DROP CONSTRAINT document_recipients_status_check,
    ADD CONSTRAINT document_recipients_status_check CHECK (status IN ('pending', 'sent',
        'arrived', 'rejected', 'registered', 'assigned', 'in_progress', 'completed',
        'recalled', 'recall_refused')),
    DROP COLUMN package_id,
    DROP COLUMN package_business,
    DROP COLUMN package_reason,
    DROP COLUMN receipt_id;
