-- Matching with the population register (Dukcapil): the last result per household, with its
-- reason, where it came from and when. NULL = not matched yet. History is in the audit log.
ALTER TABLE recipient_household ADD COLUMN padan text CHECK (padan IN ('padan', 'tidak_padan', 'meninggal', 'pindah'));
ALTER TABLE recipient_household ADD COLUMN padan_alasan text;
ALTER TABLE recipient_household ADD COLUMN padan_sumber text;
ALTER TABLE recipient_household ADD COLUMN padan_at timestamptz;
