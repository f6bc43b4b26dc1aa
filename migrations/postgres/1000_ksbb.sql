-- KSBB UMKM (Instruksi Sekda DKI 56/2020): the sites Citata manages (lokbin, loksem, lokasi
-- promosi) and the UMKM target data the dinas verify. Sites are edited in place under a version
-- number (optimistic concurrency); every change is in audit_log (entity ksbb_site), which is the
-- site's history. UMKM rows hold personal data (owner name, phone): masked in every API answer
-- but one audited read.
CREATE TABLE ksbb_site (id bigserial PRIMARY KEY, kode text NOT NULL UNIQUE, nama text NOT NULL,
  jenis text NOT NULL CHECK (jenis IN ('lokbin', 'loksem', 'promosi')),
  lon double precision NOT NULL, lat double precision NOT NULL, footprint jsonb,
  kapasitas bigint NOT NULL CHECK (kapasitas >= 0), kelurahan text NOT NULL,
  pj_nama text, pj_telepon text,
  status text NOT NULL CHECK (status IN ('aktif', 'nonaktif')), version bigint NOT NULL CHECK (version >= 1),
  generated boolean NOT NULL DEFAULT false, sumber text, updated_by text NOT NULL, updated_at timestamptz NOT NULL);
CREATE INDEX ksbb_site_kelurahan ON ksbb_site (kelurahan);

CREATE TABLE ksbb_umkm (id bigserial PRIMARY KEY, kode text NOT NULL UNIQUE, nama_usaha text NOT NULL,
  nama_pemilik text NOT NULL, telepon text, sektor text NOT NULL,
  dinas text NOT NULL CHECK (dinas IN ('ppkukm', 'kpkp', 'ppapp', 'sosial', 'parekraf', 'kebudayaan', 'nakertransgi')),
  status_verifikasi text NOT NULL CHECK (status_verifikasi IN ('belum', 'terverifikasi', 'ditolak')),
  kelurahan text, site_id bigint REFERENCES ksbb_site(id),
  generated boolean NOT NULL DEFAULT false, updated_by text NOT NULL, updated_at timestamptz NOT NULL);
CREATE INDEX ksbb_umkm_site ON ksbb_umkm (site_id);
CREATE INDEX ksbb_umkm_kelurahan ON ksbb_umkm (kelurahan);
