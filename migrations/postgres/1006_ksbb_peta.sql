-- KSBB map and roll-up (issue 13 part 8): a revision of the data the public roll-up and the site
-- tiles are computed from, bumped by a trigger on every write to those tables. The roll-up cache is
-- keyed by it (read per request, one row), so an answer is never older than the last commit, from
-- this process, the CLI, the OGC API or another process. Triggers rather than a bump in each write
-- path: every present and future write (import, Konfirmasi, Realisasi, site edits) is covered
-- without remembering to call anything. Indexes for the roll-up lookups by UMKM.
-- PostgreSQL: one statement trigger per table, BEFORE the statement, so the revision row is the
-- first lock every KSBB writer takes (writers queue on it; no lock-order deadlock with row locks).
CREATE TABLE ksbb_revision (id integer PRIMARY KEY CHECK (id = 1), rev bigint NOT NULL);
INSERT INTO ksbb_revision (id, rev) VALUES (1, 0);
CREATE INDEX ksbb_konfirmasi_umkm_kode ON ksbb_konfirmasi_umkm (umkm_kode);
CREATE INDEX ksbb_realisasi_umkm_kode ON ksbb_realisasi_umkm (umkm_kode);
CREATE INDEX ksbb_konfirmasi_site_site ON ksbb_konfirmasi_site (site_id);
CREATE FUNCTION ksbb_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1;
  RETURN NULL;
END $$;
CREATE TRIGGER ksbb_site_rev BEFORE INSERT OR UPDATE OR DELETE ON ksbb_site FOR EACH STATEMENT EXECUTE FUNCTION ksbb_bump_revision();
CREATE TRIGGER ksbb_umkm_rev BEFORE INSERT OR UPDATE OR DELETE ON ksbb_umkm FOR EACH STATEMENT EXECUTE FUNCTION ksbb_bump_revision();
CREATE TRIGGER ksbb_konfirmasi_rev BEFORE INSERT OR UPDATE OR DELETE ON ksbb_konfirmasi FOR EACH STATEMENT EXECUTE FUNCTION ksbb_bump_revision();
CREATE TRIGGER ksbb_konfirmasi_site_rev BEFORE INSERT OR UPDATE OR DELETE ON ksbb_konfirmasi_site FOR EACH STATEMENT EXECUTE FUNCTION ksbb_bump_revision();
CREATE TRIGGER ksbb_konfirmasi_umkm_rev BEFORE INSERT OR UPDATE OR DELETE ON ksbb_konfirmasi_umkm FOR EACH STATEMENT EXECUTE FUNCTION ksbb_bump_revision();
CREATE TRIGGER ksbb_realisasi_rev BEFORE INSERT OR UPDATE OR DELETE ON ksbb_realisasi FOR EACH STATEMENT EXECUTE FUNCTION ksbb_bump_revision();
CREATE TRIGGER ksbb_realisasi_umkm_rev BEFORE INSERT OR UPDATE OR DELETE ON ksbb_realisasi_umkm FOR EACH STATEMENT EXECUTE FUNCTION ksbb_bump_revision();
