-- Logistics: units' needs (kebutuhan) and availability (ketersediaan) per item, the current figure
-- per (unit, barang, jenis); every change is in audit_log. Quantities in thousandths of the base unit.
CREATE TABLE logistik_catatan (unit text NOT NULL, barang text NOT NULL REFERENCES logistik_barang(kode),
  jenis text NOT NULL CHECK (jenis IN ('kebutuhan', 'ketersediaan')),
  jumlah bigint NOT NULL CHECK (jumlah > 0),
  lon double precision, lat double precision, kelurahan text, kota text, tempat text, catatan text,
  versi bigint NOT NULL DEFAULT 1, actor text NOT NULL, updated_at timestamptz NOT NULL,
  PRIMARY KEY (unit, barang, jenis));
CREATE INDEX logistik_catatan_barang ON logistik_catatan (barang, jenis);

-- Stock balance per gudang × barang × lot, kept by the stock ledger in the same transaction as
-- each movement; the CHECK makes a negative balance impossible on either store.
CREATE TABLE logistik_saldo (gudang text NOT NULL REFERENCES logistik_gudang(kode),
  barang text NOT NULL REFERENCES logistik_barang(kode), lot text NOT NULL, kedaluwarsa date,
  jumlah bigint NOT NULL CHECK (jumlah >= 0),
  PRIMARY KEY (gudang, barang, lot));
CREATE INDEX logistik_saldo_barang ON logistik_saldo (barang, gudang);
