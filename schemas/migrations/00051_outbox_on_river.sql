-- +goose Up
-- The exchange's work and DOCX conversions are River jobs now (docs.SendPackageArgs,
-- docs.SendStatusArgs, docs.ConvertDocxArgs), inserted in the transaction of the step
-- that causes them; deadline reminders get their own table. What document_outbox
-- still held moves over before it is dropped: every reminder (a dismissed one keeps
-- counting for the once-a-day rule), the failures of conversions, and the work that
-- was waiting (conversions, sends, recalls, statuses), as jobs.

-- A reminder of an open assignment, queued at most once per assignment and day for
-- the person named (or the handler) and the head of the unit named.
CREATE TABLE document_reminders (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment_id  bigint NOT NULL REFERENCES assignments(id),
    user_id        bigint REFERENCES users(id),
    unit_id        bigint REFERENCES units(id),
    deadline       date NOT NULL,
    days_left      int NOT NULL,        -- on the day it was queued; negative when overdue
    queued_on      date NOT NULL,       -- the day (in Vietnam) it was queued for
    queued_at      timestamptz NOT NULL DEFAULT now(),
    dismissed_at   timestamptz,
    CONSTRAINT document_reminders_day_key UNIQUE (assignment_id, queued_on)
);
CREATE INDEX document_reminders_user_idx ON document_reminders (user_id) WHERE dismissed_at IS NULL;
CREATE INDEX document_reminders_unit_idx ON document_reminders (unit_id) WHERE dismissed_at IS NULL;

INSERT INTO document_reminders (assignment_id, user_id, unit_id, deadline, days_left, queued_on, queued_at, dismissed_at)
SELECT (payload->>'assignment_id')::bigint, (payload->>'user_id')::bigint, (payload->>'unit_id')::bigint,
    (payload->>'deadline')::date, (payload->>'days_left')::int, split_part(payload->>'key', ':', 3)::date,
    created_at, done_at
FROM document_outbox WHERE kind = 'reminder'
ORDER BY id
ON CONFLICT DO NOTHING;

UPDATE document_files f SET conversion_failure = o.payload->>'failure'
FROM document_outbox o
WHERE o.kind = 'convert' AND o.done_at IS NULL AND o.payload ? 'failure'
  AND f.id = (o.payload->>'file_id')::bigint;

-- Pending sends and recalls: the recipient keeps the package it waits for.
UPDATE document_recipients r SET status = 'sending', status_at = now(), package_id = gen_random_uuid()::text,
    package_business = CASE WHEN coalesce((o.payload->>'replaces_id')::bigint, 0) <> 0 THEN 3 ELSE 0 END,
    package_reason = ''
FROM document_outbox o
WHERE o.kind = 'send' AND o.done_at IS NULL AND r.document_id = o.document_id AND r.organ_id = o.payload->>'organ_id';
UPDATE document_recipients r SET status = 'sending', status_at = now(), package_id = gen_random_uuid()::text, package_business = 1,
    package_reason = coalesce(o.payload->>'reason', '')
FROM document_outbox o
WHERE o.kind = 'recall' AND o.done_at IS NULL AND r.document_id = o.document_id AND r.organ_id = o.payload->>'organ_id';

-- River's tables exist on every database that ever ran a node (store.Migrate applies
-- River's migrations after these); a new database has no work to move.
-- +goose StatementBegin
DO $$
BEGIN
    IF to_regclass('river_job') IS NULL THEN
        RETURN;
    END IF;
    EXECUTE $sql$
        INSERT INTO river_job (args, kind, max_attempts, queue)
        SELECT jsonb_build_object('document_id', o.document_id, 'file_id', (o.payload->>'file_id')::bigint),
            'docs.convert_docx', 3, 'default'
        FROM document_outbox o
        WHERE o.kind = 'convert' AND o.done_at IS NULL AND NOT o.payload ? 'failure' AND o.attempts < 3
        ORDER BY o.id
    $sql$;
    EXECUTE $sql$
        INSERT INTO river_job (args, kind, max_attempts, queue)
        SELECT jsonb_build_object('document_id', o.document_id, 'recipient', r.organ_id,
                'business', CASE o.kind WHEN 'recall' THEN 1 ELSE r.package_business END,
                'reason', CASE o.kind WHEN 'recall' THEN r.package_reason ELSE '' END,
                'package_id', CASE WHEN o.kind = 'recall' OR NOT EXISTS (SELECT 1 FROM document_outbox later
                    WHERE later.kind = 'recall' AND later.done_at IS NULL AND later.document_id = o.document_id
                      AND later.payload->>'organ_id' = r.organ_id) THEN r.package_id ELSE gen_random_uuid()::text END),
            'exchange.send_package', 25, 'exchange'
        FROM document_outbox o JOIN document_recipients r ON r.document_id = o.document_id AND r.organ_id = o.payload->>'organ_id'
        WHERE o.kind IN ('send', 'recall') AND o.done_at IS NULL
        ORDER BY o.id
    $sql$;
    EXECUTE $sql$
        INSERT INTO river_job (args, kind, max_attempts, queue)
        SELECT jsonb_build_object('agency_id', d.agency_id, 'document_id', d.id, 'to', o.payload->>'sender_organ_id',
                'response_for', o.payload->>'external_id', 'code', o.code, 'note', coalesce(o.payload->>'note', ''),
                'at', o.created_at, 'package_id', gen_random_uuid()::text),
            'exchange.send_status', 25, 'exchange'
        FROM document_outbox o JOIN documents d ON d.id = o.document_id
        WHERE o.kind = 'status' AND o.done_at IS NULL AND NOT coalesce((o.payload->>'local')::boolean, false)
          AND coalesce(o.payload->>'external_id', '') <> '' AND coalesce(o.payload->>'sender_organ_id', '') <> ''
        ORDER BY o.id
    $sql$;
END
$$;
-- +goose StatementEnd

DROP TABLE document_outbox;

-- +goose Down
CREATE TABLE document_outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('status', 'send', 'recall', 'reminder', 'convert')),
    document_id  bigint NOT NULL REFERENCES documents(id),
    code         text NOT NULL DEFAULT '' CHECK (kind <> 'status' OR code IN ('01', '02', '03', '04', '05', '06')),
    payload      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    attempts     int NOT NULL DEFAULT 0,
    done_at      timestamptz,
    last_error   text NOT NULL DEFAULT ''
);
CREATE INDEX document_outbox_pending_idx ON document_outbox (kind, id) WHERE done_at IS NULL;
CREATE UNIQUE INDEX document_outbox_reminder_key ON document_outbox (document_id, (payload->>'key'))
    WHERE kind = 'reminder';
INSERT INTO document_outbox (kind, document_id, payload, created_at, done_at)
SELECT 'reminder', x.document_id, jsonb_build_object('key', 'due:' || x.id || ':' || r.queued_on,
        'assignment_id', x.id, 'deadline', r.deadline, 'days_left', r.days_left, 'user_id', r.user_id, 'unit_id', r.unit_id),
    r.queued_at, r.dismissed_at
FROM document_reminders r JOIN assignments x ON x.id = r.assignment_id
ORDER BY r.id;
DROP TABLE document_reminders;
