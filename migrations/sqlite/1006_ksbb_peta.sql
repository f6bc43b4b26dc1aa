-- KSBB map and roll-up (issue 13 part 8): a revision of the data the public roll-up and the site
-- tiles are computed from, bumped by a trigger on every write to those tables. The roll-up cache is
-- keyed by it (read per request, one row), so an answer is never older than the last commit, from
-- this process, the CLI, the OGC API or another process. Triggers rather than a bump in each write
-- path: every present and future write (import, Konfirmasi, Realisasi, site edits) is covered
-- without remembering to call anything. Indexes for the roll-up lookups by UMKM.
CREATE TABLE ksbb_revision (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);
INSERT INTO ksbb_revision (id, rev) VALUES (1, 0);
CREATE INDEX ksbb_konfirmasi_umkm_kode ON ksbb_konfirmasi_umkm (umkm_kode);
CREATE INDEX ksbb_realisasi_umkm_kode ON ksbb_realisasi_umkm (umkm_kode);
CREATE INDEX ksbb_konfirmasi_site_site ON ksbb_konfirmasi_site (site_id);
-- SQLite has row triggers only: one per table and event.
CREATE TRIGGER ksbb_site_rev_insert AFTER INSERT ON ksbb_site BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_site_rev_update AFTER UPDATE ON ksbb_site BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_site_rev_delete AFTER DELETE ON ksbb_site BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_umkm_rev_insert AFTER INSERT ON ksbb_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_umkm_rev_update AFTER UPDATE ON ksbb_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_umkm_rev_delete AFTER DELETE ON ksbb_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_rev_insert AFTER INSERT ON ksbb_konfirmasi BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_rev_update AFTER UPDATE ON ksbb_konfirmasi BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_rev_delete AFTER DELETE ON ksbb_konfirmasi BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_site_rev_insert AFTER INSERT ON ksbb_konfirmasi_site BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_site_rev_update AFTER UPDATE ON ksbb_konfirmasi_site BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_site_rev_delete AFTER DELETE ON ksbb_konfirmasi_site BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_umkm_rev_insert AFTER INSERT ON ksbb_konfirmasi_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_umkm_rev_update AFTER UPDATE ON ksbb_konfirmasi_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_konfirmasi_umkm_rev_delete AFTER DELETE ON ksbb_konfirmasi_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_realisasi_rev_insert AFTER INSERT ON ksbb_realisasi BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_realisasi_rev_update AFTER UPDATE ON ksbb_realisasi BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_realisasi_rev_delete AFTER DELETE ON ksbb_realisasi BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_realisasi_umkm_rev_insert AFTER INSERT ON ksbb_realisasi_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_realisasi_umkm_rev_update AFTER UPDATE ON ksbb_realisasi_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
CREATE TRIGGER ksbb_realisasi_umkm_rev_delete AFTER DELETE ON ksbb_realisasi_umkm BEGIN UPDATE ksbb_revision SET rev = rev + 1 WHERE id = 1; END;
