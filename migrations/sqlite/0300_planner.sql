-- Distribution plans (issue 5): one row per POST /api/v1/plans job. The request and the finished
-- plan are kept as JSON text so a plan can be fetched again exactly as it was computed.
CREATE TABLE plan_jobs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  created_by TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  started_at DATETIME,
  finished_at DATETIME,
  request TEXT NOT NULL,
  result TEXT,
  error TEXT
);
CREATE INDEX plan_jobs_created_at ON plan_jobs (created_at);
