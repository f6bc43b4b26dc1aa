-- One collaborator registry for KSBB and logistics (issue 11 pledges, issue 13 part 3): a
-- logistics pledge (komitmen kolaborator) now names a registered collaborator by id, so Bidang
-- Kolaborasi keeps one list (the KSBB registry: badan hukum, izin, PKS, the review).
-- Numbered in the KSBB range because it needs ksbb_kolaborator (1001), which runs after 0402.
-- Existing pledges keep their free-text name in `kolaborator` (the name at pledge time, readable
-- as before); the link is set where the name matches exactly one approved collaborator (trimmed,
-- case-insensitive); the rest stay unlinked (kolaborator_id NULL) and are listed as such.
ALTER TABLE logistik_komitmen ADD COLUMN kolaborator_id INTEGER REFERENCES ksbb_kolaborator(id);
UPDATE logistik_komitmen SET kolaborator_id = (SELECT c.id FROM ksbb_kolaborator c
    WHERE c.status = 'disetujui' AND lower(trim(c.nama)) = lower(trim(logistik_komitmen.kolaborator)))
  WHERE (SELECT count(*) FROM ksbb_kolaborator c
    WHERE c.status = 'disetujui' AND lower(trim(c.nama)) = lower(trim(logistik_komitmen.kolaborator))) = 1;
CREATE INDEX logistik_komitmen_kolaborator ON logistik_komitmen (kolaborator_id, id);
