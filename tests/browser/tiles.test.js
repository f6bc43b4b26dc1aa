// Decodes sigap's vector tiles with the same libraries a web map uses (@mapbox/vector-tile + pbf),
// so a tile the encoder gets subtly wrong (layer name, attributes, geometry placement) fails here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { BASE, CODE_RE, MONAS, geometryContains, requireServer, tileOf } from './lib.js';

before(requireServer);

async function fetchTile(layer, { z, x, y }) {
  const res = await fetch(`${BASE}/tiles/${layer}/${z}/${x}/${y}.mvt`);
  return { res, body: new Uint8Array(await res.arrayBuffer()) };
}

function decode(body) {
  return new VectorTile(new PbfReader(body));
}

// Zooms at which each level is shown on the public map.
const CASES = [
  { layer: 'kota', z: 10, contains: '31.71' },
  { layer: 'kecamatan', z: 11, contains: '31.71.01' },
  { layer: 'kelurahan', z: 12, contains: '31.71.01.1001' },
  { layer: 'rw', z: 15, contains: null },
];

for (const { layer, z, contains } of CASES) {
  test(`${layer} tile z${z} over Monas decodes with codes and names`, async () => {
    const t = tileOf(MONAS, z);
    const { res, body } = await fetchTile(layer, t);
    assert.equal(res.status, 200, `HTTP ${res.status}`);
    assert.ok(body.length > 0, 'empty body for a tile over central Jakarta');
    const tile = decode(body);
    assert.deepEqual(Object.keys(tile.layers), [layer], 'exactly one MVT layer named like the layer');
    const vl = tile.layers[layer];
    assert.ok(vl.length > 0, 'no features');
    const codes = [];
    const monasIn = [];
    for (let i = 0; i < vl.length; i += 1) {
      const f = vl.feature(i);
      const { kode, nama } = f.properties;
      assert.match(String(kode), CODE_RE[layer], `feature ${i} kode`);
      assert.equal(typeof nama, 'string', `feature ${kode} nama`);
      assert.ok(nama.length > 0, `feature ${kode} has an empty nama`);
      assert.ok(Number.isInteger(f.id), `feature ${kode} has no numeric id`);
      assert.equal(f.type, 3, `feature ${kode} is not a polygon`);
      if (layer === 'rw') assert.equal(typeof f.properties.generated, 'boolean', `rw ${kode} generated flag`);
      // Clipped to the tile plus a buffer: no vertex far outside the tile square.
      for (const ring of f.loadGeometry()) {
        for (const p of ring) {
          assert.ok(p.x >= -vl.extent / 2 && p.x <= vl.extent * 1.5 && p.y >= -vl.extent / 2 && p.y <= vl.extent * 1.5,
            `feature ${kode} vertex ${p.x},${p.y} is not clipped to the tile (extent ${vl.extent})`);
        }
      }
      codes.push(kode);
      if (geometryContains(f.toGeoJSON(t.x, t.y, t.z).geometry, MONAS)) monasIn.push(kode);
    }
    assert.equal(new Set(codes).size, codes.length, 'one feature per area');
    // The decoded geometry sits where it belongs: Monas is inside Gambir (and its kecamatan, kota).
    assert.ok(monasIn.length > 0, 'no decoded feature contains Monas');
    if (contains) assert.ok(monasIn.includes(contains), `Monas falls in ${monasIn.join(', ')}, expected ${contains}`);
    else monasIn.forEach((k) => assert.ok(k.startsWith('31.71.01.1001.'), `Monas in RW ${k} outside Gambir`));
  });
}

test('kelurahan TileJSON names the layer and a tile URL', async () => {
  const res = await fetch(`${BASE}/tiles/kelurahan.json`);
  assert.equal(res.status, 200);
  const tj = await res.json();
  assert.ok(Array.isArray(tj.tiles) && tj.tiles.length > 0, 'tiles[]');
  assert.match(tj.tiles[0], /\{z\}\/\{x\}\/\{y\}/);
  assert.ok(tj.vector_layers.some((l) => l.id === 'kelurahan'), 'vector_layers has kelurahan');
});

test('a tile far from Jakarta is empty: 204 without a body', async () => {
  const { res, body } = await fetchTile('kelurahan', tileOf([0, 0], 12));
  assert.equal(res.status, 204);
  assert.equal(body.length, 0);
});

test('bad tile coordinates are a 400 problem', async () => {
  for (const path of ['12/4096/0', '12/0/4096', '40/0/0', '12/-1/0', '12/a/0']) {
    const res = await fetch(`${BASE}/tiles/kelurahan/${path}.mvt`);
    assert.equal(res.status, 400, `${path}: HTTP ${res.status}`);
    assert.match(res.headers.get('content-type') || '', /problem\+json/, `${path}: content-type`);
    await res.arrayBuffer();
  }
});
