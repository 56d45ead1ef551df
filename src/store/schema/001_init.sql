-- 001_init: catalog of event partitions, key/value state, API tokens.
-- Event partitions themselves (p<day>_blk, p<day>_ids, p<day>_idc) are
-- created on demand by store_sqlite.c; their layout is versioned with this
-- schema (a migration that changes it must rewrite existing partitions).
CREATE TABLE partitions (
    day        INTEGER PRIMARY KEY,          -- UTC day number since 1970-01-01
    ts_min     INTEGER NOT NULL,             -- oldest event (ns)
    ts_max     INTEGER NOT NULL,             -- newest event (ns)
    events     INTEGER NOT NULL DEFAULT 0,
    blocks     INTEGER NOT NULL DEFAULT 0,
    created_ns INTEGER NOT NULL
);
CREATE TABLE kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,           -- 16 hex digits, public
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'responder', 'viewer')),
    tenant       TEXT NOT NULL,
    hash         BLOB NOT NULL,              -- BLAKE2b-256 of the secret part
    created_ns   INTEGER NOT NULL,
    last_used_ns INTEGER NOT NULL DEFAULT 0,
    revoked_ns   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked_ns = 0;
