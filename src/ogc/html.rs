//! HTML pages for a person with a browser: the same JSON, as links and tables, and an SVG map of
//! the features shown (no script, no external asset: it works offline and under the web CSP).

use super::model::CollectionInfo;
use serde_json::Value;
use std::fmt::Write;

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title></head>\
         <body><nav><a href=\"/ogc?f=html\">sigap OGC API</a> · <a href=\"/ogc/collections?f=html\">collections</a> · <a href=\"/ogc/conformance?f=html\">conformance</a> · <a href=\"/ogc/api?f=html\">API</a></nav>\
         <h1>{t}</h1>{body}</body></html>\n",
        t = esc(title)
    )
}

fn links(v: &Value) -> String {
    let mut s = String::from("<ul>");
    for l in v["links"].as_array().into_iter().flatten() {
        let href = l["href"].as_str().unwrap_or("");
        let _ = write!(s, "<li><a href=\"{}\">{}</a> ({}, {})</li>", esc(href), esc(l["title"].as_str().unwrap_or(href)), esc(l["rel"].as_str().unwrap_or("")), esc(l["type"].as_str().unwrap_or("")));
    }
    s.push_str("</ul>");
    s
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => esc(s),
        Value::Null => String::new(),
        other => esc(&other.to_string()),
    }
}

pub fn landing(v: &Value) -> String {
    shell(v["title"].as_str().unwrap_or("OGC API"), &format!("<p>{}</p>{}", text(&v["description"]), links(v)))
}

pub fn conformance(classes: &[&str]) -> String {
    let items: String = classes.iter().map(|c| format!("<li>{}</li>", esc(c))).collect();
    shell("Conformance", &format!("<ul>{items}</ul>"))
}

pub fn api(v: &Value) -> String {
    let mut rows = String::new();
    for (path, item) in v["paths"].as_object().into_iter().flatten() {
        let _ = write!(rows, "<tr><td><code>GET {}</code></td><td>{}</td></tr>", esc(path), text(&item["get"]["summary"]));
    }
    shell("API definition (OpenAPI 3.0)", &format!("<p><a href=\"/ogc/api?f=json\">JSON document</a></p><table><tr><th>path</th><th>what</th></tr>{rows}</table>"))
}

pub fn collections(v: &Value) -> String {
    let mut rows = String::new();
    for c in v["collections"].as_array().into_iter().flatten() {
        let id = c["id"].as_str().unwrap_or("");
        let _ = write!(
            rows,
            "<tr><td><a href=\"/ogc/collections/{id}?f=html\">{}</a></td><td>{}</td><td><a href=\"/ogc/collections/{id}/items?f=html\">features</a></td></tr>",
            esc(id),
            text(&c["description"]),
            id = esc(id)
        );
    }
    shell("Collections", &format!("<table><tr><th>id</th><th>description</th><th></th></tr>{rows}</table>"))
}

pub fn collection(v: &Value) -> String {
    let generated = if v["generated"] == Value::Bool(true) { "<p><strong>Generated demo data, not official.</strong></p>" } else { "" };
    shell(
        v["title"].as_str().unwrap_or(""),
        &format!("<p>{}</p>{generated}<p>Extent (CRS84): {}</p>{}", text(&v["description"]), text(&v["extent"]["spatial"]["bbox"]), links(v)),
    )
}

pub fn queryables(c: &CollectionInfo) -> String {
    let rows: String = c.queryables.iter().map(|q| format!("<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>", esc(q.name), esc(&q.kind.schema().to_string()), esc(q.description))).collect();
    shell(&format!("Queryables of {}", c.title), &format!("<table><tr><th>name</th><th>type</th><th>description</th></tr>{rows}</table>"))
}

/// Every coordinate pair of a GeoJSON geometry, by ring or point.
fn rings(g: &Value, out: &mut Vec<Vec<(f64, f64)>>) {
    let pt = |c: &Value| Some((c.get(0)?.as_f64()?, c.get(1)?.as_f64()?));
    let line = |l: &Value| l.as_array().map(|a| a.iter().filter_map(pt).collect::<Vec<_>>()).unwrap_or_default();
    let c = &g["coordinates"];
    match g["type"].as_str() {
        Some("Point") => out.extend(pt(c).map(|p| vec![p])),
        Some("MultiPoint") | Some("LineString") => out.push(line(c)),
        Some("Polygon") | Some("MultiLineString") => out.extend(c.as_array().into_iter().flatten().map(line)),
        Some("MultiPolygon") => out.extend(c.as_array().into_iter().flatten().flat_map(|p| p.as_array().into_iter().flatten().map(line))),
        _ => {}
    }
}

/// An SVG of the features (polygons outlined, points as dots), fitted to 640×400.
pub fn svg(features: &[&Value]) -> String {
    let shapes: Vec<Vec<Vec<(f64, f64)>>> = features
        .iter()
        .map(|f| {
            let mut r = Vec::new();
            rings(&f["geometry"], &mut r);
            r
        })
        .collect();
    let all = shapes.iter().flatten().flatten();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        return String::new();
    }
    let (w, h) = (640.0, 400.0);
    let span = ((x1 - x0) / w).max((y1 - y0) / h).max(1e-9);
    let px = |x: f64, y: f64| ((x - x0) / span + 4.0, h - (y - y0) / span + 4.0);
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"map\">", w + 8.0, h + 8.0);
    for shape in &shapes {
        for ring in shape {
            if ring.len() == 1 {
                let (x, y) = px(ring[0].0, ring[0].1);
                let _ = write!(s, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#c0392b\"/>");
            } else {
                let d: Vec<String> = ring.iter().map(|&(x, y)| px(x, y)).map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = write!(s, "<polygon points=\"{}\" fill=\"#2e86c1\" fill-opacity=\"0.15\" stroke=\"#1b4f72\" stroke-width=\"0.7\"/>", d.join(" "));
            }
        }
    }
    s.push_str("</svg>");
    s
}

fn props_table(rows: &[&Value]) -> String {
    let mut keys: Vec<String> = Vec::new();
    for f in rows {
        for k in f["properties"].as_object().into_iter().flatten().map(|(k, _)| k) {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let head: String = keys.iter().map(|k| format!("<th>{}</th>", esc(k))).collect();
    let mut body = String::new();
    for f in rows {
        let id = text(&f["id"]);
        let _ = write!(body, "<tr><td><a href=\"items/{}?f=html\">{id}</a></td>", super::model::encode(f["id"].as_str().unwrap_or("")));
        for k in &keys {
            let _ = write!(body, "<td>{}</td>", text(&f["properties"][k]));
        }
        body.push_str("</tr>");
    }
    format!("<table><tr><th>id</th>{head}</tr>{body}</table>")
}

pub fn items(c: &CollectionInfo, v: &Value) -> String {
    let feats: Vec<&Value> = v["features"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let nav: String = v["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["rel"] == "next" || l["rel"] == "prev")
        .map(|l| {
            let href = l["href"].as_str().unwrap_or("").replace("f=json", "f=html");
            format!(" <a href=\"{}\">{}</a>", esc(&href), esc(l["title"].as_str().unwrap_or("")))
        })
        .collect();
    let body = format!(
        "<p>{} of {} features.{nav}</p>{}{}",
        text(&v["numberReturned"]),
        text(&v["numberMatched"]),
        svg(&feats),
        props_table(&feats)
    );
    shell(&format!("{} — features", c.title), &body)
}

pub fn item(c: &CollectionInfo, v: &Value) -> String {
    let mut rows = String::new();
    for (k, val) in v["properties"].as_object().into_iter().flatten() {
        let _ = write!(rows, "<tr><th>{}</th><td>{}</td></tr>", esc(k), text(val));
    }
    shell(&format!("{} {}", c.title, text(&v["id"])), &format!("{}<table>{rows}</table>{}", svg(&[v]), links(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_escaped_and_svg_drawn() {
        let f = json!({"id": "1", "geometry": {"type": "Point", "coordinates": [106.8, -6.2]}, "properties": {"description": "<script>x</script>"}});
        let page = items(crate::ogc::collections::Collection::info(&crate::ogc::sources::Complaints::new()), &json!({"features": [f], "numberReturned": 1, "numberMatched": 1, "links": []}));
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"), "{page}");
        assert!(page.contains("<circle"), "{page}");
    }
}
