-- Logistics: pledges (komitmen kolaborator) agreed by the Bidang Kolaborasi, their lines, and the
-- append-only history of their status.
CREATE TABLE logistik_komitmen (id bigserial PRIMARY KEY, kolaborator text NOT NULL,
  gudang text NOT NULL REFERENCES logistik_gudang(kode), tanggal_harap date NOT NULL,
  status text NOT NULL CHECK (status IN ('draf', 'disepakati', 'diterima_sebagian', 'selesai', 'batal')),
  catatan text, versi bigint NOT NULL DEFAULT 1, actor text NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE INDEX logistik_komitmen_status ON logistik_komitmen (status, id);
CREATE TABLE logistik_komitmen_baris (komitmen_id bigint NOT NULL REFERENCES logistik_komitmen(id),
  barang text NOT NULL REFERENCES logistik_barang(kode), jumlah bigint NOT NULL CHECK (jumlah > 0),
  diterima bigint NOT NULL DEFAULT 0 CHECK (diterima >= 0), PRIMARY KEY (komitmen_id, barang));
CREATE TABLE logistik_komitmen_riwayat (id bigserial PRIMARY KEY,
  komitmen_id bigint NOT NULL REFERENCES logistik_komitmen(id), at timestamptz NOT NULL, actor text NOT NULL,
  dari text, ke text NOT NULL, alasan text);
CREATE INDEX logistik_komitmen_riwayat_k ON logistik_komitmen_riwayat (komitmen_id, id);
CREATE FUNCTION logistik_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
CREATE TRIGGER logistik_komitmen_riwayat_no_change BEFORE UPDATE OR DELETE ON logistik_komitmen_riwayat
  FOR EACH ROW EXECUTE FUNCTION logistik_append_only();
