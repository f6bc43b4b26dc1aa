-- Distribution plans (issue 5): one row per POST /api/v1/plans job. The request and the finished
-- plan are kept as JSON so a plan can be fetched again exactly as it was computed.
CREATE TABLE plan_jobs (
  id text PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  request jsonb NOT NULL,
  result jsonb,
  error text
);
CREATE INDEX plan_jobs_created_at ON plan_jobs (created_at);
