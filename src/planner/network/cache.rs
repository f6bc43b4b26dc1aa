//! The prepared travel table on disk: one file per (network, points) pair, named by the SHA-256
//! of the network's fingerprint (roads and speeds, see [`super::RoadNetwork::fingerprint`]) and
//! the points' exact coordinates, so a changed road file, speed table or drop point is a new file
//! and a re-plan of the same points reads the table instead of computing it. Free-flow times are
//! stored, so the congestion factor can change without invalidating the file.
//!
//! Layout: `SIGAPRT1`, the point count (u64 LE), then per pair the time in milliseconds (u32 LE,
//! `u32::MAX` = no path) and the metres (f32 LE). A file of the wrong size or magic is ignored
//! and recomputed. Writes go to a temporary file renamed into place, so a reader never sees half
//! a table.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::planner::model::LonLat;

const MAGIC: &[u8; 8] = b"SIGAPRT1";

pub fn path(dir: &Path, fingerprint: [u8; 32], points: &[LonLat]) -> PathBuf {
    let mut h = Sha256::new();
    h.update(fingerprint);
    for p in points {
        h.update(p.lon.to_le_bytes());
        h.update(p.lat.to_le_bytes());
    }
    let digest = h.finalize();
    let name: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    dir.join(format!("table-{name}.bin"))
}

pub fn read(file: &Path, n: usize) -> Option<Vec<Option<(u64, f64)>>> {
    let bytes = std::fs::read(file).ok()?;
    if bytes.len() != 16 + n * n * 8 || &bytes[..8] != MAGIC || u64::from_le_bytes(bytes[8..16].try_into().ok()?) != n as u64 {
        return None;
    }
    Some(
        bytes[16..]
            .chunks_exact(8)
            .map(|c| {
                let ms = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                let m = f32::from_le_bytes([c[4], c[5], c[6], c[7]]);
                (ms != u32::MAX).then_some((ms as u64, m as f64))
            })
            .collect(),
    )
}

pub fn write(file: &Path, n: usize, legs: &[Option<(u64, f64)>]) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut buf = Vec::with_capacity(16 + legs.len() * 8);
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&(n as u64).to_le_bytes());
    for l in legs {
        let (ms, m) = l.map_or((u32::MAX, 0.0), |(ms, m)| (ms.min(u32::MAX as u64 - 1) as u32, m as f32));
        buf.extend_from_slice(&ms.to_le_bytes());
        buf.extend_from_slice(&m.to_le_bytes());
    }
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&buf)?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)
}
