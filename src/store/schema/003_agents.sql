-- 003_agents: enrolled agents and one-time enrollment tokens
-- (src/store/agents.c, docs/internals/agent.md). Kept apart from the other
-- tables; 002 is left to the alerts migration.
CREATE TABLE agents (
    id           TEXT PRIMARY KEY,           -- 32 hex digits, the certificate CN
    tenant       TEXT NOT NULL,
    name         TEXT NOT NULL,              -- host name reported at enrollment
    fingerprint  TEXT NOT NULL,              -- SHA-256 of the client certificate (hex)
    enrolled_ns  INTEGER NOT NULL,
    last_seen_ns INTEGER NOT NULL DEFAULT 0,
    revoked_ns   INTEGER NOT NULL DEFAULT 0,
    silent_ns    INTEGER NOT NULL DEFAULT 0, -- when it was reported silent (0 = active)
    last_seq     INTEGER NOT NULL DEFAULT 0, -- last committed frame sequence
    version      TEXT NOT NULL DEFAULT '',
    address      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE enroll_tokens (
    hash         BLOB PRIMARY KEY,           -- BLAKE2b-256 of the token
    tenant       TEXT NOT NULL,
    created_ns   INTEGER NOT NULL,
    expires_ns   INTEGER NOT NULL,
    used_ns      INTEGER NOT NULL DEFAULT 0,
    agent_id     TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
