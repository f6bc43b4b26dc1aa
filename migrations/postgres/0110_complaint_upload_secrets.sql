-- Per-complaint upload secrets: intake answers the secret once; only its SHA-256 is kept.
-- A photo upload must carry a secret of its complaint (or an operator/admin token for it).
CREATE TABLE complaint_upload_secrets (
  secret_hash TEXT PRIMARY KEY,
  complaint_id BIGINT NOT NULL REFERENCES complaints(id),
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX complaint_upload_secrets_complaint ON complaint_upload_secrets (complaint_id);
