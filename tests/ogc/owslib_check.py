"""OWSLib against a running sigap: reads the collections and features through OGC API - Features.

Usage: python owslib_check.py BASE_URL [ADMIN_TOKEN]   (BASE_URL like http://127.0.0.1:PORT/ogc)
With a token it also runs Part 4 on an RW and on a KSBB site (lokasi_umkm): create, update with
If-Match, a stale update, delete; and for the site a create at sea and one with lon/lat swapped.
Prints one JSON object with what it read; the Rust test (tests/ogc_clients.rs) checks it.
"""
import json
import sys

from owslib.ogcapi.features import Features

base = sys.argv[1]
w = Features(base)
out = {}
out["conformance"] = w.conformance()["conformsTo"]
out["collections"] = w.feature_collections()
out["rw_title"] = w.collection("rw")["title"]
page = w.collection_items("kelurahan", limit=50, induk="31.71.01")
out["kelurahan_matched"] = page["numberMatched"]
out["kelurahan_ids"] = [f["id"] for f in page["features"]]
out["kota_one"] = w.collection_item("kota", "31.71")["properties"]["nama"]
out["queryables"] = sorted(w.collection_queryables("rw")["properties"].keys())
bbox = w.collection_items("rw", bbox=[106.82, -6.18, 106.83, -6.17], limit=1000)
out["rw_bbox"] = sorted(f["id"] for f in bbox["features"])
text = w.collection_items("kelurahan", filter="induk = '31.71.01'", limit=100)
out["filter_text_ids"] = [f["id"] for f in text["features"]]
cql_json = json.dumps({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [106.82, -6.18, 106.83, -6.17]}]})
spatial = w.collection_items("rw", limit=1000, **{"filter": cql_json, "filter-lang": "cql2-json"})
out["filter_json_ids"] = sorted(f["id"] for f in spatial["features"])
try:
    w.collection_items("rw", limit=0)
    out["bad_limit"] = "accepted"
except RuntimeError as e:
    out["bad_limit"] = json.loads(str(e)).get("field")

if len(sys.argv) > 2:
    fid = "31.71.01.1001.099"
    e = Features(base, headers={"Authorization": f"Bearer {sys.argv[2]}"})
    square = [[[106.824, -6.176], [106.826, -6.176], [106.826, -6.174], [106.824, -6.174], [106.824, -6.176]]]
    rw = {"type": "Feature", "properties": {"kode": fid, "nama": "RW 099"}, "geometry": {"type": "Polygon", "coordinates": square}}
    e.collection_item_create("rw", rw)
    e.collection_item("rw", fid)
    first = e.response_headers["ETag"]
    rw["properties"]["nama"] = "RW 099 Baru"
    e.headers["If-Match"] = first
    e.collection_item_update("rw", fid, rw)
    out["updated_nama"] = e.collection_item("rw", fid)["properties"]["nama"]
    second = e.response_headers["ETag"]
    # A second editor still holding the first version.
    rw["properties"]["nama"] = "RW 099 Lama"
    e.headers["If-Match"] = first
    try:
        e.collection_item_update("rw", fid, rw)
        out["stale_update"] = "accepted"
    except RuntimeError as err:
        out["stale_update"] = json.loads(str(err))["status"]
    e.headers["If-Match"] = second
    e.collection_item_delete("rw", fid)
    try:
        e.collection_item("rw", fid)
        out["deleted"] = False
    except RuntimeError:
        out["deleted"] = True

    # The same on a KSBB site, edited through the ksbb ops (place checks, history, version ETag).
    sid = "LOKBIN-OWSLIB-1"
    site = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.8272, -6.1754]},
            "properties": {"kode": sid, "nama": "Lokbin OWSLib", "jenis": "lokbin", "kapasitas": 30}}
    e.headers.pop("If-Match", None)
    refused = {}
    for name, lonlat in [("sea", [106.85, -6.03]), ("swapped", [-6.1754, 106.8272])]:
        bad = json.loads(json.dumps(site))
        bad["geometry"]["coordinates"] = lonlat
        try:
            e.collection_item_create("lokasi_umkm", bad)
            refused[name] = "accepted"
        except RuntimeError as err:
            p = json.loads(str(err))
            refused[name] = [p["status"], p["field"], p["type"].rsplit("/", 1)[-1]]
    out["site_refused"] = refused
    e.collection_item_create("lokasi_umkm", site)
    e.collection_item("lokasi_umkm", sid)
    first = e.response_headers["ETag"]
    site["properties"]["kapasitas"] = 45
    e.headers["If-Match"] = first
    e.collection_item_update("lokasi_umkm", sid, site)
    out["site_kapasitas"] = e.collection_item("lokasi_umkm", sid)["properties"]["kapasitas"]
    second = e.response_headers["ETag"]
    site["properties"]["kapasitas"] = 10
    e.headers["If-Match"] = first
    try:
        e.collection_item_update("lokasi_umkm", sid, site)
        out["site_stale_update"] = "accepted"
    except RuntimeError as err:
        out["site_stale_update"] = json.loads(str(err))["status"]
    e.headers["If-Match"] = second
    e.collection_item_delete("lokasi_umkm", sid)
    try:
        e.collection_item("lokasi_umkm", sid)
        out["site_deleted"] = False
    except RuntimeError:
        out["site_deleted"] = True

print(json.dumps(out))
