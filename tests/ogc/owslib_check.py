"""OWSLib against a running sigap: reads the collections and features through OGC API - Features.

Usage: python owslib_check.py BASE_URL   (BASE_URL like http://127.0.0.1:PORT/ogc)
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
print(json.dumps(out))
