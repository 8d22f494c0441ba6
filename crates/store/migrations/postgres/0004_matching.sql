-- Family tracing (issue 4). Every write of a case or a tracing request (and every change of a
-- case's consents) queues a job in the same transaction; the matcher works through the queue in
-- `seq` order, keeps its in-memory index current from it, and proposes pairs. A job is done once
-- its pairs are written; the index of every process follows the queue by `seq`, done or not.
CREATE TABLE match_jobs (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_type  TEXT NOT NULL,
    record_id    UUID NOT NULL,
    queued_at    TIMESTAMPTZ NOT NULL,
    done_at      TIMESTAMPTZ
);
CREATE INDEX match_jobs_pending ON match_jobs (seq) WHERE done_at IS NULL;

-- A tracing request and a case the matcher thinks may be the same child. `explanation` is the
-- weight each compared field contributed (field names, levels and numbers: nothing about the
-- child); `pattern` the agreement levels when the pair was last proposed or decided, which
-- decides whether a rejected pair comes back (domain::potential_match::rescore). `body` holds
-- the reviewer's comment, sealed. History entries: record_type 'potential_match' (codes only).
CREATE TABLE potential_matches (
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                  UUID NOT NULL UNIQUE,
    tracing_request_id  UUID NOT NULL REFERENCES tracing_requests (id),
    case_id             UUID NOT NULL REFERENCES cases (id),
    status              TEXT NOT NULL,
    probability         DOUBLE PRECISION NOT NULL,
    explanation         TEXT NOT NULL,
    pattern             TEXT NOT NULL,
    version             BIGINT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    decided_by          UUID REFERENCES users (id),
    decided_at          TIMESTAMPTZ,
    reunified_on        DATE,
    body                TEXT,
    UNIQUE (tracing_request_id, case_id)
);
CREATE INDEX potential_matches_case ON potential_matches (case_id);
CREATE INDEX potential_matches_status ON potential_matches (status, seq);
