-- Family tracing (issue 4). Every write of a case or a tracing request (and every change of a
-- case's consents) queues a job in the same transaction; the matcher works through the queue in
-- `seq` order, keeps its in-memory index current from it, and proposes pairs. A job is done once
-- its pairs are written; the index of every process follows the queue by `seq`, done or not.
CREATE TABLE match_jobs (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    queued_at    TEXT NOT NULL,
    done_at      TEXT
);
CREATE INDEX match_jobs_pending ON match_jobs (seq) WHERE done_at IS NULL;

-- A tracing request and a case the matcher thinks may be the same child. `explanation` is the
-- weight each compared field contributed (field names, levels and numbers: nothing about the
-- child); `pattern` the agreement levels when the pair was last proposed or decided, which
-- decides whether a rejected pair comes back (domain::potential_match::rescore). `body` holds
-- the reviewer's comment, sealed. History entries: record_type 'potential_match' (codes only).
CREATE TABLE potential_matches (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,
    tracing_request_id  TEXT NOT NULL REFERENCES tracing_requests (id),
    case_id             TEXT NOT NULL REFERENCES cases (id),
    status              TEXT NOT NULL,
    probability         REAL NOT NULL,
    explanation         TEXT NOT NULL,
    pattern             TEXT NOT NULL,
    version             INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    decided_by          TEXT REFERENCES users (id),
    decided_at          TEXT,
    reunified_on        TEXT,
    body                TEXT,
    UNIQUE (tracing_request_id, case_id)
);
CREATE INDEX potential_matches_case ON potential_matches (case_id);
CREATE INDEX potential_matches_status ON potential_matches (status, seq);
