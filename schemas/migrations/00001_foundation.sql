-- +goose Up
-- Foundation: agencies and their units, users and their memberships, sign-in sessions,
-- API tokens, login throttling, casbin policies, and the hash-chained audit trail.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- An agency (cơ quan) is a node of the administrative tree of any depth: a province,
-- a district (before 1 July 2025), a commune, a department. organ_id is its official
-- identifier (mã định danh), NNN.NN.NN.XNN or another registered scheme.
CREATE TABLE agencies (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organ_id      text NOT NULL CONSTRAINT agencies_organ_id_key UNIQUE
                  CHECK (organ_id ~ '^[0-9A-Z.]{1,35}$'),
    name          text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 250),
    abbreviation  text NOT NULL CHECK (abbreviation ~ '^[[:alnum:]Đđ]{1,20}$'),
    parent_id     bigint REFERENCES agencies(id),
    address       text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    phone         text NOT NULL DEFAULT '',
    fax           text NOT NULL DEFAULT '',
    website       text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX agencies_parent_idx ON agencies (parent_id);

-- A unit (đơn vị, phòng ban) inside an agency, e.g. Văn phòng HĐND và UBND (VP).
CREATE TABLE units (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id     bigint NOT NULL REFERENCES agencies(id),
    name          text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 250),
    abbreviation  text NOT NULL CHECK (abbreviation ~ '^[[:alnum:]Đđ]{1,20}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT units_agency_abbreviation_key UNIQUE (agency_id, abbreviation),
    CONSTRAINT units_agency_name_key UNIQUE (agency_id, name)
);

CREATE TABLE users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    full_name      text NOT NULL CHECK (btrim(full_name) <> ''),
    email          text NOT NULL DEFAULT '',
    password_hash  text NOT NULL,
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- A user works in one or more agencies, optionally inside a unit, with a position
-- (chức vụ) used on signatures. Roles per agency live in casbin_rule.
CREATE TABLE memberships (
    user_id    bigint NOT NULL REFERENCES users(id),
    agency_id  bigint NOT NULL REFERENCES agencies(id),
    unit_id    bigint REFERENCES units(id),
    position   text NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, agency_id)
);
CREATE INDEX memberships_agency_idx ON memberships (agency_id);

-- casbin policies: p (role, domain, object, action) and g (user, role, domain).
CREATE TABLE casbin_rule (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ptype  text NOT NULL,
    v0     text NOT NULL DEFAULT '',
    v1     text NOT NULL DEFAULT '',
    v2     text NOT NULL DEFAULT '',
    v3     text NOT NULL DEFAULT '',
    v4     text NOT NULL DEFAULT '',
    v5     text NOT NULL DEFAULT '',
    CONSTRAINT casbin_rule_unique UNIQUE (ptype, v0, v1, v2, v3, v4, v5)
);

-- Server-side sessions; the cookie carries a random token whose SHA-256 is the key.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id),
    agency_id    bigint NOT NULL REFERENCES agencies(id),
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    client_ip    text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- API tokens for machine clients (a gateway, scripts); only the hash is kept.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id),
    name         text NOT NULL CHECK (btrim(name) <> ''),
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Failed sign-ins, per username and per client address, for throttling.
CREATE TABLE login_failures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username   text NOT NULL,
    client_ip  text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username_idx ON login_failures (lower(username), at);
CREATE INDEX login_failures_ip_idx ON login_failures (client_ip, at);

-- The audit trail: append-only, each row chained to the previous one by SHA-256.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor_id     bigint,
    actor        text NOT NULL,
    agency_id    bigint,
    action       text NOT NULL,
    object_type  text NOT NULL,
    object_id    text NOT NULL,
    client_ip    text NOT NULL DEFAULT '',
    detail       jsonb NOT NULL DEFAULT '{}',
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL UNIQUE
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log, login_failures, api_tokens, sessions, casbin_rule, memberships, users, units, agencies;
DROP FUNCTION audit_log_append_only();
