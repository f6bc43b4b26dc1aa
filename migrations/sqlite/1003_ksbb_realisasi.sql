-- KSBB Realisasi (Lampiran I steps 21–26, Lampiran II donatur step 4 and fintech step 8): what a
-- collaborator reports it delivered under an ID kolaborasi. One table of reports, by kind:
--   bast         goods / training handed over (BAST / BA), per UMKM the packages or participants;
--   disbursement a fintech's loan disbursement (invoice, e-contract), per UMKM the rupiah paid out;
--   angsuran     a repayment report for one period, per UMKM what was repaid and lancar/terlambat/gagal_bayar;
--   serah_dana   the final transfer of the donated funds to an agregator (bukti serah terima dana).
-- ksbb_konfirmasi_umkm is the confirmed list of loan recipients (with their plafon) a fintech
-- names in its Konfirmasi; a disbursement outside it is refused. Documents and photos are in the
-- AttachmentStore; ksbb_lampiran holds their keys and hashes.
CREATE TABLE ksbb_konfirmasi_umkm (konfirmasi_id INTEGER NOT NULL REFERENCES ksbb_konfirmasi(id),
  umkm_kode TEXT NOT NULL REFERENCES ksbb_umkm(kode), plafon INTEGER NOT NULL CHECK (plafon > 0),
  PRIMARY KEY (konfirmasi_id, umkm_kode));

CREATE TABLE ksbb_realisasi (id INTEGER PRIMARY KEY AUTOINCREMENT, konfirmasi_id INTEGER NOT NULL REFERENCES ksbb_konfirmasi(id),
  pelapor_id INTEGER NOT NULL REFERENCES ksbb_kolaborator(id),
  jenis TEXT NOT NULL CHECK (jenis IN ('bast', 'disbursement', 'angsuran', 'serah_dana')),
  nomor_dokumen TEXT NOT NULL, tanggal DATE NOT NULL, keterangan TEXT, econtract TEXT, periode TEXT,
  agregator_id INTEGER REFERENCES ksbb_kolaborator(id), jumlah INTEGER CHECK (jumlah >= 0),
  created_by TEXT NOT NULL, created_at DATETIME NOT NULL);
CREATE INDEX ksbb_realisasi_konfirmasi ON ksbb_realisasi (konfirmasi_id);
-- One transfer of the donated funds per ID kolaborasi.
CREATE UNIQUE INDEX ksbb_realisasi_serah_dana ON ksbb_realisasi (konfirmasi_id) WHERE jenis = 'serah_dana';

CREATE TABLE ksbb_realisasi_umkm (realisasi_id INTEGER NOT NULL REFERENCES ksbb_realisasi(id),
  konfirmasi_id INTEGER NOT NULL REFERENCES ksbb_konfirmasi(id), umkm_kode TEXT NOT NULL REFERENCES ksbb_umkm(kode),
  jumlah INTEGER NOT NULL CHECK (jumlah >= 0), status TEXT CHECK (status IN ('lancar', 'terlambat', 'gagal_bayar')),
  alasan TEXT, periode TEXT, PRIMARY KEY (realisasi_id, umkm_kode));
-- One repayment report per UMKM and period of a loan.
CREATE UNIQUE INDEX ksbb_realisasi_umkm_periode ON ksbb_realisasi_umkm (konfirmasi_id, umkm_kode, periode) WHERE periode IS NOT NULL;

CREATE TABLE ksbb_lampiran (id INTEGER PRIMARY KEY AUTOINCREMENT, realisasi_id INTEGER NOT NULL REFERENCES ksbb_realisasi(id),
  jenis TEXT NOT NULL CHECK (jenis IN ('bast', 'foto', 'econtract', 'invoice', 'bukti_serah_terima', 'lainnya')),
  storage_key TEXT NOT NULL UNIQUE, content_type TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,
  created_by TEXT NOT NULL, created_at DATETIME NOT NULL, UNIQUE (realisasi_id, sha256));
