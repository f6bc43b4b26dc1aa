-- KSBB pendamping checks (Lampiran I step 24; diktum KESATU d5, e3): the Sudin of the UMKM's dinas
-- or the Kasatpel of its kecamatan checks with the owner that the goods or the loan reported under
-- an ID kolaborasi really arrived: diterima, tidak_diterima or sebagian (with the amount). One
-- check per UMKM and ID; the amount reported at the time is kept beside it.
CREATE TABLE ksbb_verifikasi (id bigserial PRIMARY KEY, konfirmasi_id bigint NOT NULL REFERENCES ksbb_konfirmasi(id),
  umkm_kode text NOT NULL REFERENCES ksbb_umkm(kode),
  hasil text NOT NULL CHECK (hasil IN ('diterima', 'tidak_diterima', 'sebagian')),
  jumlah_dilaporkan bigint NOT NULL CHECK (jumlah_dilaporkan >= 0), jumlah_diterima bigint NOT NULL CHECK (jumlah_diterima >= 0),
  tanggal date NOT NULL, catatan text, pendamping text NOT NULL, created_by text NOT NULL, created_at timestamptz NOT NULL,
  UNIQUE (konfirmasi_id, umkm_kode));
