-- Tile functions for martin on a sigap PostGIS database: the same layers, layer names, feature
-- ids and attributes as sigap's own /tiles (src/tiles), simplified and clipped the same way:
-- extent 4096, buffer 64 tile units, Douglas–Peucker with a tolerance of one tile unit (so the
-- ground tolerance halves with each zoom), feature id = the code's digits (31.71.01.1001 →
-- 3171011001), properties kode, nama (+ generated on rw). An empty tile is an empty bytea, which
-- martin serves as 204. Apply with: psql "$DATABASE_URL" -f tiles/martin.sql (idempotent).

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
      FROM %I
      WHERE geom && ST_Transform(ST_TileEnvelope($3, $4, $5, margin => 64.0 / 4096), 4326)
      ORDER BY kode
    ) t WHERE geom IS NOT NULL $q$,
    layer, CASE WHEN layer = 'rw' THEN ', generated' ELSE '' END, layer)
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
