-- Generated demo data in logistics (issue 11, "Demo data"): pledges, receipts and requests that
-- `sigap init` generates are marked like the demo catalog and gudang, so every answer that shows
-- them, and the reports and the public recap that sum them, can say they are not real.
ALTER TABLE logistik_komitmen ADD COLUMN generated boolean NOT NULL DEFAULT 0;
ALTER TABLE logistik_penerimaan ADD COLUMN generated boolean NOT NULL DEFAULT 0;
ALTER TABLE logistik_permintaan ADD COLUMN generated boolean NOT NULL DEFAULT 0;
-- The demo pledges `sigap init` loaded before this marker existed (only it records as sigap-init).
UPDATE logistik_komitmen SET generated = 1 WHERE actor = 'sigap-init';
