-- 004_token_roles: the tokens table loses its CHECK on role. The role list
-- lives in one place, include/vigil/roles.def, which the store (tokens.c),
-- the API's access control and the CLI share; the CHECK was a fourth copy
-- that already disagreed with the API (it refused the ingest role). SQLite
-- cannot drop a constraint, so the table is rebuilt with its rows.
CREATE TABLE tokens_new (
    id           TEXT PRIMARY KEY,           -- 16 hex digits, public
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,              -- one of include/vigil/roles.def (checked in tokens.c)
    tenant       TEXT NOT NULL,
    hash         BLOB NOT NULL,              -- BLAKE2b-256 of the secret part
    created_ns   INTEGER NOT NULL,
    last_used_ns INTEGER NOT NULL DEFAULT 0,
    revoked_ns   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO tokens_new (id, name, role, tenant, hash, created_ns, last_used_ns, revoked_ns)
    SELECT id, name, role, tenant, hash, created_ns, last_used_ns, revoked_ns FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked_ns = 0;
