//! The atlas agrees with PostGIS `ST_Covers` on every OSM test point that PostGIS puts in
//! exactly one kelurahan; where PostGIS finds two, the atlas says `overlap` and picks one of
//! them; where it finds none, the atlas says `gap` or `outside`.

mod common;
use common::*;
use sigap::store::{testing, Store};
use sigap::wilayah::{Level, Method};
use sqlx::Row;
use std::collections::HashMap;

#[tokio::test]
async fn atlas_agrees_with_postgis_st_covers_on_26k_points() {
    let store = testing::postgis().await;
    load_shipped(&store, Level::Kelurahan).await;
    let atlas = atlas(&store).await;
    let points = test_points();
    assert_eq!(points.len(), 26_092);
    let Store::Postgis(pool) = &store else { unreachable!() };
    let lons: Vec<f64> = points.iter().map(|p| p.0).collect();
    let lats: Vec<f64> = points.iter().map(|p| p.1).collect();
    let rows = sqlx::query(
        "SELECT p.i::int8 AS i, array_remove(array_agg(k.kode ORDER BY k.kode), NULL) AS kodes
         FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)
         LEFT JOIN kelurahan k ON ST_Covers(k.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
         GROUP BY p.i",
    )
    .bind(&lons)
    .bind(&lats)
    .fetch_all(pool)
    .await
    .unwrap();
    let pg: HashMap<usize, Vec<String>> =
        rows.iter().map(|r| (r.get::<i64, _>("i") as usize - 1, r.get::<Vec<String>, _>("kodes"))).collect();
    let (mut one, mut two, mut none) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for (i, (lon, lat)) in points.iter().enumerate() {
        let loc = atlas.locate(*lon, *lat).unwrap();
        let ours = loc.kelurahan.as_ref().map(|k| k.kode.clone()).unwrap_or_default();
        let theirs = &pg[&i];
        let ok = match theirs.len() {
            0 => {
                none += 1;
                matches!(loc.method, Method::Gap | Method::Outside)
            }
            1 => {
                one += 1;
                loc.method == Method::Inside && ours == theirs[0]
            }
            _ => {
                two += 1;
                loc.method == Method::Overlap && theirs.contains(&ours)
            }
        };
        if !ok {
            disagreements.push(format!("#{i} ({lon},{lat}): postgis {theirs:?}, atlas {ours} {:?}", loc.method));
        }
    }
    assert!(disagreements.is_empty(), "{} disagreements, first: {:?}", disagreements.len(), &disagreements[..disagreements.len().min(5)]);
    // The shipped layer's known shape (data/testdata/osm-poi-jakarta-testpoints/SOURCE.md): 25,955 in one, 15 in two, 122 in none.
    assert_eq!((one, two, none), (25_955, 15, 122));
}
