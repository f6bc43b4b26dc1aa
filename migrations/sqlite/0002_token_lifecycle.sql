-- Token lifecycle: an expiry and a revocation per token (issue 9). Tokens issued before this
-- migration had no expiry; they get 90 days from the moment the migration runs (the default
-- lifetime of a new token), so a leaked old token dies on its own and nobody is locked out at once.
-- Timestamps are RFC 3339 text, the form sqlx writes for DateTime<Utc>.
ALTER TABLE api_tokens ADD COLUMN expires_at DATETIME;
ALTER TABLE api_tokens ADD COLUMN revoked_at DATETIME;
ALTER TABLE api_tokens ADD COLUMN revoked_reason TEXT;
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+90 days') WHERE expires_at IS NULL;
