-- Logistics: units' needs (kebutuhan) and availability (ketersediaan) per item, the current figure
-- per (unit, barang, jenis); every change is in audit_log. Quantities in thousandths of the base unit.
CREATE TABLE logistik_catatan (unit TEXT NOT NULL, barang TEXT NOT NULL REFERENCES logistik_barang(kode),
  jenis TEXT NOT NULL CHECK (jenis IN ('kebutuhan', 'ketersediaan')),
  jumlah INTEGER NOT NULL CHECK (jumlah > 0),
  lon DOUBLE, lat DOUBLE, kelurahan TEXT, kota TEXT, tempat TEXT, catatan TEXT,
  versi INTEGER NOT NULL DEFAULT 1, actor TEXT NOT NULL, updated_at DATETIME NOT NULL,
  PRIMARY KEY (unit, barang, jenis));
CREATE INDEX logistik_catatan_barang ON logistik_catatan (barang, jenis);

-- Stock balance per gudang × barang × lot, kept by the stock ledger in the same transaction as
-- each movement; the CHECK makes a negative balance impossible on either store.
CREATE TABLE logistik_saldo (gudang TEXT NOT NULL REFERENCES logistik_gudang(kode),
  barang TEXT NOT NULL REFERENCES logistik_barang(kode), lot TEXT NOT NULL, kedaluwarsa DATE,
  jumlah INTEGER NOT NULL CHECK (jumlah >= 0),
  PRIMARY KEY (gudang, barang, lot));
CREATE INDEX logistik_saldo_barang ON logistik_saldo (barang, gudang);
