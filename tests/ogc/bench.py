"""sigap's OGC API against pygeoapi serving the same GeoPackage: the same requests to both,
answers compared feature by feature, then requests per second side by side (autocannon, same
machine, same run). Run by scripts/ogc-bench.sh, which starts both servers.

Usage: python bench.py SIGAP_BASE PYGEOAPI_BASE AUTOCANNON SECONDS
Prints a Markdown report.
"""
import json
import subprocess
import sys

import requests

sigap, pga, autocannon, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def get(url):
    r = requests.get(url, timeout=120)
    r.raise_for_status()
    return r.json()


def coords(g):
    """Every coordinate pair of a GeoJSON geometry, flattened."""
    out = []

    def walk(c):
        if isinstance(c, list) and c and isinstance(c[0], (int, float)):
            out.append((c[0], c[1]))
        elif isinstance(c, list):
            for x in c:
                walk(x)

    walk(g.get("coordinates", []) if g else [])
    return out


def polygons(g):
    """Polygon and MultiPolygon compare as the same shape."""
    return coords(g)


def compare(name, a, b, props=("nama",)):
    fa = {str(f["id"]): f for f in a["features"]}
    fb = {str(f["id"]): f for f in b["features"]}
    same_ids = set(fa) == set(fb)
    geom_diff = 0
    prop_diff = 0
    for k in set(fa) & set(fb):
        ca, cb = polygons(fa[k]["geometry"]), polygons(fb[k]["geometry"])
        if len(ca) != len(cb) or any(abs(x[0] - y[0]) > 1e-9 or abs(x[1] - y[1]) > 1e-9 for x, y in zip(ca, cb)):
            geom_diff += 1
        for p in props:
            if fa[k]["properties"].get(p) != fb[k]["properties"].get(p):
                prop_diff += 1
    only_a, only_b = sorted(set(fa) - set(fb)), sorted(set(fb) - set(fa))
    verdict = "same" if same_ids and geom_diff == 0 and prop_diff == 0 else "DIFFERENT"
    return f"| {name} | {len(fa)} | {len(fb)} | {verdict} | {geom_diff} | {prop_diff} | {only_a[:3]} {only_b[:3]} |"


rows = []
page_s = get(f"{sigap}/collections/rw/items?limit=1000&f=json")
page_p = get(f"{pga}/collections/rw/items?limit=1000&f=json")
rows.append(compare("items, limit=1000 (first page)", page_s, page_p))
one_s = get(f"{sigap}/collections/rw/items/31.71.01.1001.001?f=json")
one_p = get(f"{pga}/collections/rw/items/31.71.01.1001.001?f=json")
rows.append(compare("one feature", {"features": [one_s]}, {"features": [one_p]}))
bbox = "106.82,-6.18,106.83,-6.17"
rows.append(compare(f"bbox={bbox}", get(f"{sigap}/collections/rw/items?bbox={bbox}&limit=10000&f=json"), get(f"{pga}/collections/rw/items?bbox={bbox}&limit=10000&f=json")))
flt = requests.utils.quote("induk = '31.71.01.1001'")
rows.append(compare("sigap CQL2 `induk = '31.71.01.1001'` vs pygeoapi `?induk=` (its GeoPackage provider has no CQL2)", get(f"{sigap}/collections/rw/items?filter={flt}&limit=1000&f=json"), get(f"{pga}/collections/rw/items?induk=31.71.01.1001&limit=1000&f=json")))

print("| request | sigap features | pygeoapi features | answers | geometries differing | names differing | ids only in one |")
print("|---|---:|---:|---|---:|---:|---|")
for r in rows:
    print(r)


def rps(url):
    out = subprocess.run([autocannon, "-c", "8", "-d", str(seconds), "-j", url], capture_output=True, text=True, check=True).stdout
    j = json.loads(out)
    # Successful answers only: a server that fails fast must not look fast.
    return j["2xx"] / j["duration"], j["latency"]["p50"], j["latency"]["p99"], j["non2xx"] + j["errors"] + j["timeouts"]


print()
print(f"| request ({seconds} s each, 8 connections) | sigap req/s | pygeoapi req/s | ratio | sigap p50 / p99 ms | pygeoapi p50 / p99 ms | failed (sigap / pygeoapi) |")
print("|---|---:|---:|---:|---|---|---|")
for name, path in [
    ("items page, 1000 RW", "/collections/rw/items?limit=1000&f=json"),
    ("one feature", "/collections/rw/items/31.71.01.1001.001?f=json"),
    (f"bbox {bbox}", f"/collections/rw/items?bbox={bbox}&f=json"),
]:
    s, p = rps(sigap + path), rps(pga + path)
    print(f"| {name} | {s[0]:,.0f} | {p[0]:,.1f} | {s[0] / max(p[0], 0.01):,.0f}× | {s[1]} / {s[2]} | {p[1]} / {p[2]} | {s[3]} / {p[3]} |")
