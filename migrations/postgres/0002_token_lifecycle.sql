-- Token lifecycle: an expiry and a revocation per token (issue 9). Tokens issued before this
-- migration had no expiry; they get 90 days from the moment the migration runs (the default
-- lifetime of a new token), so a leaked old token dies on its own and nobody is locked out at once.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN revoked_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN revoked_reason text;
UPDATE api_tokens SET expires_at = now() + interval '90 days' WHERE expires_at IS NULL;
