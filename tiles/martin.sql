-- Tile functions for martin on a sigap PostGIS database: the same layers, layer names, feature
-- ids and attributes as sigap's own /tiles (src/tiles), simplified and clipped the same way:
-- extent 4096, buffer 64 tile units, Douglas–Peucker with a tolerance of one tile unit (so the
-- ground tolerance halves with each zoom), feature id = the code's digits (31.71.01.1001 →
-- 3171011001), properties kode, nama (+ generated, sumber, tahun on rw; NULLs left out, as sigap
-- does). An empty tile is an empty bytea, which martin serves as 204. Apply with: psql "$DATABASE_URL" -f tiles/martin.sql (idempotent).
--
-- Kota and kecamatan are drawn as the dissolve of their kelurahan, as sigap's tiles do
-- (src/tiles/dissolve.rs): the source's kota/kecamatan polygons are coarse and were simplified
-- independently, so they gap, overlap and cut across kelurahan. sigap_tile_dissolved holds the
-- ST_Union of the kelurahan grouped by code prefix (left(kode, 5) = kota, left(kode, 8) =
-- kecamatan) with interior holes under 5 000 m² or narrower than 25 m on average
-- (2 × area / perimeter: the source's gap slivers and slits) dropped. It is filled
-- here and kept current by statement triggers on kelurahan that redo only the kota and kecamatan
-- of the changed rows. An area with no kelurahan is drawn with its stored geometry. The API and
-- the kota/kecamatan tables keep the source geometry.

CREATE TABLE IF NOT EXISTS sigap_tile_dissolved (kode text PRIMARY KEY, geom geometry(MultiPolygon, 4326) NOT NULL);

-- g without the interior rings smaller than min_m2 or narrower than 25 m on average (area and
-- perimeter on the spheroid; dissolve::MIN_HOLE_WIDTH_M in sigap).
CREATE OR REPLACE FUNCTION sigap_drop_small_holes(g geometry, min_m2 float8) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT ST_Multi(ST_Collect(ST_MakePolygon(ST_ExteriorRing(p.geom), ARRAY(
    SELECT ST_InteriorRingN(p.geom, n) FROM generate_series(1, ST_NumInteriorRings(p.geom)) n
    WHERE ST_Area(ST_MakePolygon(ST_InteriorRingN(p.geom, n))::geography) >= min_m2
      AND 2 * ST_Area(ST_MakePolygon(ST_InteriorRingN(p.geom, n))::geography)
        >= 25 * ST_Length(ST_InteriorRingN(p.geom, n)::geography)))))
  FROM ST_Dump(ST_CollectionExtract(g, 3)) p
$fn$;

-- Recomputes the dissolved geometry of the given kota/kecamatan codes from the kelurahan table.
CREATE OR REPLACE FUNCTION sigap_tile_dissolve(codes text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM sigap_tile_dissolved WHERE kode = ANY (codes);
  INSERT INTO sigap_tile_dissolved (kode, geom)
  SELECT g.kode, sigap_drop_small_holes(ST_Union(k.geom), 5000)
  FROM unnest(codes) AS g(kode)
  JOIN kelurahan k ON left(k.kode, length(g.kode) + 1) = g.kode || '.'
  GROUP BY g.kode;
END
$fn$;

-- After kelurahan rows change: redo their kota and kecamatan. A failing union never blocks the
-- boundary edit; those areas then fall back to their stored geometry until the next change.
CREATE OR REPLACE FUNCTION sigap_tile_kelurahan_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  changed text[] := '{}';
  codes text[];
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    changed := changed || ARRAY(SELECT kode FROM old_rows);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    changed := changed || ARRAY(SELECT kode FROM new_rows);
  END IF;
  codes := ARRAY(SELECT DISTINCT left(c, n) FROM unnest(changed) c, (VALUES (5), (8)) l(n));
  BEGIN
    PERFORM sigap_tile_dissolve(codes);
  EXCEPTION WHEN OTHERS THEN
    DELETE FROM sigap_tile_dissolved WHERE kode = ANY (codes);
    RAISE WARNING 'sigap_tile_dissolve(%) failed: %', codes, SQLERRM;
  END;
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS sigap_tile_dissolve_ins ON kelurahan;
DROP TRIGGER IF EXISTS sigap_tile_dissolve_upd ON kelurahan;
DROP TRIGGER IF EXISTS sigap_tile_dissolve_del ON kelurahan;
CREATE TRIGGER sigap_tile_dissolve_ins AFTER INSERT ON kelurahan REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sigap_tile_kelurahan_changed();
CREATE TRIGGER sigap_tile_dissolve_upd AFTER UPDATE ON kelurahan REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sigap_tile_kelurahan_changed();
CREATE TRIGGER sigap_tile_dissolve_del AFTER DELETE ON kelurahan REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sigap_tile_kelurahan_changed();

TRUNCATE sigap_tile_dissolved;
SELECT sigap_tile_dissolve(ARRAY(SELECT DISTINCT left(kode, n) FROM kelurahan, (VALUES (5), (8)) l(n)));

CREATE OR REPLACE FUNCTION sigap_tile(layer text, z integer, x integer, y integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
DECLARE
  env geometry := ST_TileEnvelope(z, x, y);
  tolerance float8 := (ST_XMax(ST_TileEnvelope(z, x, y)) - ST_XMin(ST_TileEnvelope(z, x, y))) / 4096;
  tile bytea;
BEGIN
  IF layer NOT IN ('kota', 'kecamatan', 'kelurahan', 'rw') THEN
    RAISE EXCEPTION 'no tile layer %', layer;
  END IF;
  EXECUTE format($q$
    SELECT ST_AsMVT(t, %L, 4096, 'geom', 'id') FROM (
      SELECT replace(kode, '.', '')::bigint AS id, kode, nama %s,
             ST_AsMVTGeom(ST_Simplify(ST_Transform(geom, 3857), $2), $1, 4096, 64, true) AS geom
      FROM %s
      WHERE geom && ST_Transform(ST_TileEnvelope($3, $4, $5, margin => 64.0 / 4096), 4326)
      ORDER BY kode
    ) t WHERE geom IS NOT NULL $q$,
    layer, CASE WHEN layer = 'rw' THEN ', generated, sumber, tahun' ELSE '' END,
    CASE WHEN layer IN ('kota', 'kecamatan')
      THEN format('(SELECT a.kode, a.nama, COALESCE(d.geom, a.geom) AS geom FROM %I a LEFT JOIN sigap_tile_dissolved d USING (kode)) s', layer)
      ELSE format('%I', layer) END)
  INTO tile USING env, tolerance, z, x, y;
  RETURN tile;
END
$fn$;

-- One function per layer with the (z, x, y) signature martin publishes as a function source.
CREATE OR REPLACE FUNCTION sigap_tile_kota(z integer, x integer, y integer) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT sigap_tile('kota', z, x, y) $$;
CREATE OR REPLACE FUNCTION sigap_tile_kecamatan(z integer, x integer, y integer) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT sigap_tile('kecamatan', z, x, y) $$;
CREATE OR REPLACE FUNCTION sigap_tile_kelurahan(z integer, x integer, y integer) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT sigap_tile('kelurahan', z, x, y) $$;
CREATE OR REPLACE FUNCTION sigap_tile_rw(z integer, x integer, y integer) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT sigap_tile('rw', z, x, y) $$;

-- KSBB site layers (src/ksbb/peta): the active sites of one kind (lokbin, loksem, promosi) as
-- points, id = the site id, with the same properties as sigap's /tiles/{jenis}: kode, nama, jenis,
-- kelurahan, kapasitas, umkm (not ditolak), dijanjikan (all of them at a site a goods/training
-- Konfirmasi chose, else the named loan recipients), tercapai (packages handed over or rupiah
-- disbursed), persen (whole percent, rounded half up) and generated. No contact, no owner.
CREATE OR REPLACE FUNCTION sigap_tile_ksbb(kind text, z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT COALESCE((SELECT ST_AsMVT(t, kind, 4096, 'geom', 'id') FROM (
    SELECT s.id, s.kode, s.nama, s.jenis, s.kelurahan, s.kapasitas, c.umkm, c.dijanjikan, c.tercapai,
           CASE WHEN c.umkm > 0 THEN (100 * c.tercapai + c.umkm / 2) / c.umkm ELSE 0 END AS persen, s.generated,
           ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
    FROM ksbb_site s CROSS JOIN LATERAL (
      SELECT count(*) AS umkm,
             count(*) FILTER (WHERE g.goods OR EXISTS (SELECT 1 FROM ksbb_konfirmasi_umkm ku WHERE ku.umkm_kode = u.kode)) AS dijanjikan,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ksbb_realisasi_umkm ru JOIN ksbb_realisasi r ON r.id = ru.realisasi_id
                                            WHERE ru.umkm_kode = u.kode AND r.jenis IN ('bast', 'disbursement') AND ru.jumlah > 0)) AS tercapai
      FROM ksbb_umkm u,
           (SELECT EXISTS (SELECT 1 FROM ksbb_konfirmasi_site ks JOIN ksbb_konfirmasi k ON k.id = ks.konfirmasi_id
                           WHERE ks.site_id = s.id AND k.bentuk <> 'pinjaman') AS goods) g
      WHERE u.site_id = s.id AND u.status_verifikasi <> 'ditolak') c
    WHERE s.status = 'aktif' AND s.jenis = kind
      AND ST_Intersects(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4326))
    ORDER BY s.id) t WHERE geom IS NOT NULL), ''::bytea)
$fn$;
CREATE OR REPLACE FUNCTION sigap_tile_lokbin(z integer, x integer, y integer) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT sigap_tile_ksbb('lokbin', z, x, y) $$;
CREATE OR REPLACE FUNCTION sigap_tile_loksem(z integer, x integer, y integer) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT sigap_tile_ksbb('loksem', z, x, y) $$;
CREATE OR REPLACE FUNCTION sigap_tile_promosi(z integer, x integer, y integer) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT sigap_tile_ksbb('promosi', z, x, y) $$;

-- The gudang site layer (src/logistics/peta.rs): every gudang as a point, id = its place in the
-- gudang list ordered by kode (1, 2, …), with the same properties as sigap's /tiles/gudang: kode,
-- nama, kota, aktif, jumlah_barang (items with a positive balance), stok_utama ("nama (satuan):
-- jumlah; …" for the five largest balances, base units, expired lots included) and barang_1…5 /
-- stok_1…5 for them (largest first, then by item code). Public places: no personal data.
CREATE OR REPLACE FUNCTION sigap_tile_gudang(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT COALESCE((SELECT ST_AsMVT(t, 'gudang', 4096, 'geom', 'id') FROM (
    SELECT g.id, g.kode, g.nama, g.kota, g.aktif, s.jumlah_barang, s.stok_utama,
           s.barang_1, s.stok_1, s.barang_2, s.stok_2, s.barang_3, s.stok_3, s.barang_4, s.stok_4, s.barang_5, s.stok_5,
           ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(g.lon, g.lat), 4326), 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
    FROM (SELECT row_number() OVER (ORDER BY kode) AS id, * FROM logistik_gudang) g CROSS JOIN LATERAL (
      SELECT count(*) AS jumlah_barang,
             COALESCE(string_agg(r.label || ': ' || r.j::text, '; ' ORDER BY r.rn) FILTER (WHERE r.rn <= 5), '') AS stok_utama,
             max(r.barang) FILTER (WHERE r.rn = 1) AS barang_1, max(r.j) FILTER (WHERE r.rn = 1) AS stok_1,
             max(r.barang) FILTER (WHERE r.rn = 2) AS barang_2, max(r.j) FILTER (WHERE r.rn = 2) AS stok_2,
             max(r.barang) FILTER (WHERE r.rn = 3) AS barang_3, max(r.j) FILTER (WHERE r.rn = 3) AS stok_3,
             max(r.barang) FILTER (WHERE r.rn = 4) AS barang_4, max(r.j) FILTER (WHERE r.rn = 4) AS stok_4,
             max(r.barang) FILTER (WHERE r.rn = 5) AS barang_5, max(r.j) FILTER (WHERE r.rn = 5) AS stok_5
      FROM (SELECT b.barang, COALESCE(c.nama, '') || ' (' || COALESCE(c.satuan, '') || ')' AS label,
                   b.jumlah / 1000.0::float8 AS j, row_number() OVER (ORDER BY b.jumlah DESC, b.barang) AS rn
            FROM (SELECT barang, SUM(jumlah) AS jumlah FROM logistik_saldo WHERE gudang = g.kode GROUP BY barang HAVING SUM(jumlah) > 0) b
            LEFT JOIN logistik_barang c ON c.kode = b.barang) r) s
    WHERE ST_Intersects(ST_SetSRID(ST_MakePoint(g.lon, g.lat), 4326), ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4326))
    ORDER BY g.kode) t WHERE geom IS NOT NULL), ''::bytea)
$fn$;
