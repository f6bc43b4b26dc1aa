//! Generated demo data: targets per RW and a partial distribution history.
//!
//! The public page (seed 001) reports 1,194,633 KK receiving bansos; no per-RW list is public,
//! so the demo spreads that total over kelurahan by their 2024 population and then over each
//! kelurahan's (generated) RWs with seeded weights. The history is a plausible mid-campaign
//! state: most RWs have had one to three deliveries with a little damage and shortage, and have
//! served part of their households. Everything here is marked generated.

use super::model::{check_counts, check_ledger, parse_date, parse_rw, parse_targets, PackageCounts, RecordError, RwLedger, Target};
use super::ops;
use super::store as bstore;
use crate::store::audit::{self, AuditEntry};
use crate::store::Store;
use crate::wilayah::{AreaCode, Atlas, Level};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};

/// KK receiving bansos in DKI Jakarta, from the public bansos page (seed 001).
pub const TOTAL_KK: u64 = 1_194_633;

/// Splits `total` in proportion to `weights`, exactly (largest remainder; ties to the lower index).
pub fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().map(|w| w.max(0.0)).sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum <= 0.0 {
        return apportion(total, &vec![1.0; weights.len()]);
    }
    let quotas: Vec<f64> = weights.iter().map(|w| total as f64 * w.max(0.0) / sum).collect();
    let mut out: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let mut left = total.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// One generated delivery row.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDelivery {
    pub rw: AreaCode,
    pub date: NaiveDate,
    pub provider: String,
    pub bast_ref: String,
    pub counts: PackageCounts,
}

/// One generated hand-out row.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoHandout {
    pub rw: AreaCode,
    pub date: NaiveDate,
    pub kk_served: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Demo {
    pub targets: Vec<Target>,
    pub deliveries: Vec<DemoDelivery>,
    pub handouts: Vec<DemoHandout>,
}

const PROVIDERS: [&str; 4] = ["Penyedia Demo A (dibangkitkan)", "Penyedia Demo B (dibangkitkan)", "Penyedia Demo C (dibangkitkan)", "Penyedia Demo D (dibangkitkan)"];

/// Generates targets and history. `kel_pop` is the population per kelurahan, `rws` the RWs of
/// each kelurahan (codes in order). Deterministic for a seed.
pub fn generate(kel_pop: &BTreeMap<AreaCode, u64>, rws: &BTreeMap<AreaCode, Vec<AreaCode>>, seed: u64) -> anyhow::Result<Demo> {
    let kels: Vec<&AreaCode> = kel_pop.keys().collect();
    for k in &kels {
        anyhow::ensure!(rws.get(*k).is_some_and(|v| !v.is_empty()), "kelurahan {k} has no RW; generate the RW layer first");
    }
    let weights: Vec<f64> = kels.iter().map(|k| kel_pop[*k] as f64).collect();
    let kel_targets = apportion(TOTAL_KK, &weights);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut demo = Demo::default();
    // Each kota is at its own stage of the campaign, so the map has something to show.
    let mut kota_stage: BTreeMap<String, f64> = BTreeMap::new();
    let start = NaiveDate::from_ymd_opt(2026, 11, 2).ok_or_else(|| anyhow::anyhow!("bad start date"))?;
    let mut bast_no = 0u32;
    for (k, kel_target) in kels.iter().zip(kel_targets) {
        let rw_list = &rws[*k];
        let w: Vec<f64> = rw_list.iter().map(|_| rng.gen_range(0.6..1.4)).collect();
        let kota = k.ancestor(Level::Kota).map(|c| c.to_string()).unwrap_or_default();
        let stage = *kota_stage.entry(kota.clone()).or_insert_with(|| rng.gen_range(0.35..0.85));
        for (rw, target) in rw_list.iter().zip(apportion(kel_target, &w)) {
            demo.targets.push(Target { rw: rw.clone(), target_kk: target as u32 });
            if target == 0 || rng.gen_bool((1.0 - stage).clamp(0.05, 0.6) * 0.4) {
                continue; // not started yet
            }
            let share = (stage + rng.gen_range(-0.2..0.25)).clamp(0.1, 1.0);
            let to_send = ((target as f64) * (share + 0.03)).ceil() as u64;
            let batches = rng.gen_range(1..=3u64).min(to_send.max(1));
            let mut usable = 0u64;
            let mut last_date = start;
            for (b, sent) in apportion(to_send, &vec![1.0; batches as usize]).into_iter().enumerate() {
                if sent == 0 {
                    continue;
                }
                let day = (b as i64) * 5 + rng.gen_range(0..5);
                let date = start + chrono::Duration::days(day);
                last_date = last_date.max(date);
                let damaged = if rng.gen_bool(0.3) { rng.gen_range(0..=(sent / 100 + 1)) } else { 0 }.min(sent);
                let short = if rng.gen_bool(0.2) { rng.gen_range(0..=(sent / 150 + 1)) } else { 0 }.min(sent - damaged);
                let received = sent - damaged - short;
                let surplus = if rng.gen_bool(0.1) { rng.gen_range(0..=(received / 200 + 1)).min(received) } else { 0 };
                let counts = PackageCounts { sent: sent as u32, received: received as u32, damaged: damaged as u32, short: short as u32, returned: (damaged + surplus) as u32 };
                usable += counts.usable();
                bast_no += 1;
                demo.deliveries.push(DemoDelivery {
                    rw: rw.clone(),
                    date,
                    provider: PROVIDERS[rng.gen_range(0..PROVIDERS.len())].to_string(),
                    bast_ref: format!("BAST-DEMO/{}/{bast_no:05}", kota.replace('.', "")),
                    counts,
                });
            }
            let can_serve = usable.min(target);
            let served = ((can_serve as f64) * rng.gen_range(0.55..1.0)).floor() as u64;
            let parts = rng.gen_range(1..=3u64).min(served.max(1));
            for (i, kk) in apportion(served, &vec![1.0; parts as usize]).into_iter().enumerate() {
                if kk > 0 {
                    let date = (last_date + chrono::Duration::days(1 + i as i64 * 2)).min(start + chrono::Duration::days(18));
                    demo.handouts.push(DemoHandout { rw: rw.clone(), date, kk_served: kk as u32 });
                }
            }
        }
    }
    Ok(demo)
}

pub const TARGETS_HEADER: &str = "rw,target_kk,generated";
pub const DELIVERIES_HEADER: &str = "rw,date,provider,bast_ref,packages_sent,packages_received,packages_damaged,packages_short,packages_returned,generated";
pub const HANDOUTS_HEADER: &str = "rw,date,kk_served,generated";

/// The three CSV files (targets, deliveries, hand-outs), each row marked `generated=true`.
pub fn to_csv(demo: &Demo) -> (String, String, String) {
    let mut t = format!("{TARGETS_HEADER}\n");
    for x in &demo.targets {
        t.push_str(&format!("{},{},true\n", x.rw, x.target_kk));
    }
    let mut d = format!("{DELIVERIES_HEADER}\n");
    for x in &demo.deliveries {
        let c = x.counts;
        d.push_str(&format!("{},{},{},{},{},{},{},{},{},true\n", x.rw, x.date, x.provider, x.bast_ref, c.sent, c.received, c.damaged, c.short, c.returned));
    }
    let mut h = format!("{HANDOUTS_HEADER}\n");
    for x in &demo.handouts {
        h.push_str(&format!("{},{},{},true\n", x.rw, x.date, x.kk_served));
    }
    (t, d, h)
}

fn field(rec: &csv::StringRecord, i: usize) -> &str {
    rec.get(i).unwrap_or("")
}

fn num(line: usize, name: &str, s: &str) -> anyhow::Result<i64> {
    s.trim().parse().map_err(|_| anyhow::anyhow!("line {line}: {name} {s:?} is not a whole number"))
}

/// Parses the three demo files back, with the same checks as the API (dates not checked against
/// today: the history is fixed).
pub fn from_csv(targets: &str, deliveries: &str, handouts: &str, atlas: &Atlas) -> anyhow::Result<Demo> {
    let known = |c: &AreaCode| atlas.get(c).is_some_and(|a| a.level == Level::Rw);
    let (targets, _) = parse_targets(targets, &known).map_err(|e| anyhow::anyhow!("demo targets: {}", e.join("; ")))?;
    let far = NaiveDate::MAX;
    let rec_err = |line: usize, e: RecordError| anyhow::anyhow!("line {line}: {e}");
    let mut demo = Demo { targets, ..Demo::default() };
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(deliveries.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let (rec, line) = (rec?, i + 2);
        let rw = parse_rw("rw", field(&rec, 0)).map_err(|e| rec_err(line, e))?;
        anyhow::ensure!(known(&rw), "demo deliveries line {line}: unknown RW {rw}");
        let n = |j: usize, name: &str| num(line, name, field(&rec, j));
        let counts = check_counts(n(4, "packages_sent")?, n(5, "packages_received")?, n(6, "packages_damaged")?, n(7, "packages_short")?, n(8, "packages_returned")?, false)
            .map_err(|e| rec_err(line, e))?;
        demo.deliveries.push(DemoDelivery {
            rw,
            date: parse_date("date", field(&rec, 1), far).map_err(|e| rec_err(line, e))?,
            provider: field(&rec, 2).to_string(),
            bast_ref: field(&rec, 3).to_string(),
            counts,
        });
    }
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(handouts.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let (rec, line) = (rec?, i + 2);
        let rw = parse_rw("rw", field(&rec, 0)).map_err(|e| rec_err(line, e))?;
        anyhow::ensure!(known(&rw), "demo hand-outs line {line}: unknown RW {rw}");
        let kk = num(line, "kk_served", field(&rec, 2))?;
        anyhow::ensure!((1..=i64::from(u32::MAX)).contains(&kk), "demo hand-outs line {line}: kk_served {kk} out of range");
        demo.handouts.push(DemoHandout { rw, date: parse_date("date", field(&rec, 1), far).map_err(|e| rec_err(line, e))?, kk_served: kk as u32 });
    }
    Ok(demo)
}

/// Per-RW ledgers of a demo, checked with the same invariants as the API.
pub fn check(demo: &Demo) -> Result<(), RecordError> {
    let mut ledgers: HashMap<&AreaCode, RwLedger> = HashMap::new();
    for t in &demo.targets {
        ledgers.entry(&t.rw).or_default().target_kk = u64::from(t.target_kk);
    }
    for d in &demo.deliveries {
        ledgers.entry(&d.rw).or_default().usable += d.counts.usable();
    }
    for h in &demo.handouts {
        ledgers.entry(&h.rw).or_default().served += u64::from(h.kk_served);
    }
    for (rw, l) in ledgers {
        check_ledger(rw, l, "kk_served")?;
    }
    Ok(())
}

pub const DEMO_TARGETS: &str = include_str!("../../data/demo/bansos_targets.csv");
pub const DEMO_DELIVERIES: &str = include_str!("../../data/demo/bansos_deliveries.csv");
pub const DEMO_HANDOUTS: &str = include_str!("../../data/demo/bansos_handouts.csv");

/// What `load` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// Bansos data was already there (demo or real); nothing was changed.
    Skipped { targets: i64, deliveries: i64, handouts: i64 },
    Loaded { targets: usize, total_kk: u64, deliveries: usize, handouts: usize },
}

/// Loads a demo into an empty bansos store in one transaction; a store that already holds any
/// bansos data is left alone, so `sigap init` can run again and real data is never mixed with demo.
/// `progress(done, total)` is called after each delivery and hand-out row (the caller draws it).
pub async fn load(store: &Store, demo: &Demo, progress: &(dyn Fn(usize, usize) + Sync)) -> anyhow::Result<Loaded> {
    let (t, d, h) = bstore::counts(store).await?;
    if t + d + h > 0 {
        return Ok(Loaded::Skipped { targets: t, deliveries: d, handouts: h });
    }
    check(demo).map_err(|e| anyhow::anyhow!("demo data breaks the ledger rules: {e}"))?;
    let actor = "sigap-demo";
    let mut tx = bstore::begin_write(store).await?;
    let stats = ops::import_targets(&mut tx, &demo.targets, true, actor, &|_| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let total = demo.deliveries.len() + demo.handouts.len();
    let mut done = 0;
    for d in &demo.deliveries {
        let nd = super::model::NewDelivery { rw: d.rw.clone(), date: d.date, provider: d.provider.clone(), bast_ref: d.bast_ref.clone(), counts: d.counts, corrects: None };
        bstore::insert_delivery(&mut tx, &nd, actor, true).await?;
        done += 1;
        progress(done, total);
    }
    for h in &demo.handouts {
        let nh = super::model::NewHandout { rw: h.rw.clone(), date: h.date, kk_served: h.kk_served, corrects: None };
        bstore::insert_handout(&mut tx, &nh, actor, true).await?;
        done += 1;
        progress(done, total);
    }
    audit::record(
        &mut tx,
        AuditEntry {
            actor,
            action: "bansos.demo.load",
            entity: "bansos_demo",
            entity_id: "data/demo",
            before: None,
            after: Some(serde_json::json!({"generated": true, "targets": stats.rows, "total_kk": stats.total_kk, "deliveries": demo.deliveries.len(), "handouts": demo.handouts.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Loaded::Loaded { targets: stats.rows, total_kk: stats.total_kk, deliveries: demo.deliveries.len(), handouts: demo.handouts.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact_and_proportional() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0.0, 0.0]), vec![4, 3]);
        let v = apportion(TOTAL_KK, &[82_755.0, 103_008.0, 1.0]);
        assert_eq!(v.iter().sum::<u64>(), TOTAL_KK);
        assert!(v[1] > v[0] && v[2] == 6, "{v:?}");
        assert!(apportion(5, &[]).is_empty());
    }

    fn sample() -> (BTreeMap<AreaCode, u64>, BTreeMap<AreaCode, Vec<AreaCode>>) {
        let mut pop = BTreeMap::new();
        let mut rws = BTreeMap::new();
        for (i, kel) in ["31.71.01.1001", "31.71.01.1002", "31.72.01.1001", "31.73.02.1003"].iter().enumerate() {
            let k = AreaCode::parse(kel).unwrap();
            pop.insert(k.clone(), 20_000 + 15_000 * i as u64);
            rws.insert(k.clone(), (1..=(3 + i)).map(|n| AreaCode::parse(&format!("{kel}.{n:03}")).unwrap()).collect());
        }
        (pop, rws)
    }

    #[test]
    fn demo_sums_to_the_published_total_and_keeps_the_rules() {
        let (pop, rws) = sample();
        let demo = generate(&pop, &rws, 7).unwrap();
        assert_eq!(demo.targets.iter().map(|t| u64::from(t.target_kk)).sum::<u64>(), TOTAL_KK);
        assert_eq!(demo.targets.len(), 3 + 4 + 5 + 6);
        assert!(!demo.deliveries.is_empty() && !demo.handouts.is_empty());
        check(&demo).unwrap();
        let served: u64 = demo.handouts.iter().map(|h| u64::from(h.kk_served)).sum();
        assert!(served > 0 && served < TOTAL_KK, "partial history: {served}");
        assert_eq!(generate(&pop, &rws, 7).unwrap().deliveries, demo.deliveries, "same seed, same history");
        assert_ne!(generate(&pop, &rws, 8).unwrap().deliveries, demo.deliveries);
        for d in &demo.deliveries {
            let c = d.counts;
            assert_eq!(c.received + c.damaged + c.short, c.sent);
            assert!(c.returned >= c.damaged);
        }
    }

    #[test]
    fn missing_rw_layer_is_an_error() {
        let (pop, mut rws) = sample();
        rws.remove(&AreaCode::parse("31.71.01.1002").unwrap());
        assert!(generate(&pop, &rws, 1).unwrap_err().to_string().contains("31.71.01.1002"));
    }
}
