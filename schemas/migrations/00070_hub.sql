-- +goose Up
-- The exchange hub (edms gateway): its peers, the agencies each serves, the packages
-- it stored before acknowledging them and their deliveries to the next hop.

-- A peer of the hub, recognised by the SPKI fingerprint of its TLS certificate.
CREATE TABLE hub_members (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    role       text NOT NULL CHECK (role IN ('node', 'hub', 'parent')),
    endpoint   text NOT NULL CHECK (endpoint ~ '^https://'),
    spki       text NOT NULL UNIQUE CHECK (spki ~ '^[0-9a-f]{64}$'),
    enabled    boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- A hub has at most one parent.
CREATE UNIQUE INDEX hub_members_one_parent ON hub_members (role) WHERE role = 'parent';

-- The agencies a member serves: registered by the operator for a node (registered),
-- or pulled from a child hub's or the parent's directory (replaced at each pull).
CREATE TABLE hub_member_agencies (
    member_id       bigint NOT NULL REFERENCES hub_members ON DELETE CASCADE,
    organ_id        text NOT NULL CHECK (btrim(organ_id) <> ''),
    name            text NOT NULL DEFAULT '',
    parent_organ_id text NOT NULL DEFAULT '',
    hub             text NOT NULL DEFAULT '', -- the hub that lists it (directory entries)
    node            text NOT NULL DEFAULT '', -- the node that serves it (directory entries)
    start_at        timestamptz,
    end_at          timestamptz,
    registered      boolean NOT NULL,
    PRIMARY KEY (member_id, organ_id)
);
CREATE INDEX hub_member_agencies_organ ON hub_member_agencies (organ_id);

-- The directory of the uplink (the national axis), cached at each pull.
CREATE TABLE hub_uplink_agencies (
    organ_id        text PRIMARY KEY CHECK (btrim(organ_id) <> ''),
    name            text NOT NULL DEFAULT '',
    parent_organ_id text NOT NULL DEFAULT '',
    start_at        timestamptz,
    end_at          timestamptz
);

-- The raw bytes of packages as they arrived, 1 MiB a row, under a staging id; a
-- package row claims them once accepted.
CREATE TABLE hub_package_chunks (
    staging_id uuid NOT NULL,
    seq        integer NOT NULL,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staging_id, seq)
);
-- Stored as they come, uncompressed: attachments are mostly compressed already, and
-- the bytes stay only until delivered.
ALTER TABLE hub_package_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX hub_package_chunks_created ON hub_package_chunks (created_at);

-- A package the hub acknowledged.
CREATE TABLE hub_packages (
    id          bigserial PRIMARY KEY,
    receipt_id  text NOT NULL UNIQUE,
    staging_id  uuid NOT NULL UNIQUE,
    package_id  text NOT NULL,
    sha256      text NOT NULL,
    from_organ  text NOT NULL,
    document_id text NOT NULL,
    business    integer NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('document', 'status')),
    size        bigint NOT NULL,
    received_at timestamptz NOT NULL,
    came_from   text NOT NULL, -- the peer that delivered it
    hops        jsonb NOT NULL -- []wire.Hop, this hub included
);
CREATE INDEX hub_packages_document ON hub_packages (document_id);

-- One copy of a package for one recipient, forwarded to its next hop. The duplicate
-- key of the protocol is unique here.
CREATE TABLE hub_deliveries (
    id              bigserial PRIMARY KEY,
    package         bigint NOT NULL REFERENCES hub_packages ON DELETE CASCADE,
    from_organ      text NOT NULL,
    document_id     text NOT NULL,
    business        integer NOT NULL,
    recipient       text NOT NULL,
    package_id      text NOT NULL,
    next_hop        text NOT NULL, -- a member's name, or the uplink's
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_receipt_id text NOT NULL DEFAULT '',
    error_code      text NOT NULL DEFAULT '',
    last_error      text NOT NULL DEFAULT '',
    delivered_at    timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (from_organ, document_id, business, recipient, package_id)
);
CREATE INDEX hub_deliveries_package ON hub_deliveries (package);
CREATE INDEX hub_deliveries_failed ON hub_deliveries (updated_at) WHERE state = 'failed';

-- +goose Down
DROP TABLE hub_deliveries;
DROP TABLE hub_packages;
DROP TABLE hub_package_chunks;
DROP TABLE hub_uplink_agencies;
DROP TABLE hub_member_agencies;
DROP TABLE hub_members;
