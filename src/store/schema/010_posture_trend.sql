-- 010_posture_trend: the hardening score of every scan an agent (or
-- `vigil posture --collect`) reported, per (tenant, host, policy), so
-- `vigil posture HOST` can show the trend; asset_posture keeps only the
-- latest full report. A replayed report (same ts) is stored once.
CREATE TABLE asset_posture_history(
    tenant TEXT NOT NULL,
    host TEXT NOT NULL,
    policy TEXT NOT NULL,
    ts INTEGER NOT NULL,
    score REAL,
    pass INTEGER NOT NULL DEFAULT 0,
    fail INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, host, policy, ts)
) WITHOUT ROWID;
