//! Candidate data (data calon penerima) as plain values: reading a source file (CSV or XLSX) into
//! rows, and cleaning each row the way Diskominfotik does (seed 001 A): NIK and No. KK checked with
//! the reason kept, a NIK issued outside DKI flagged, the RW resolved against the atlas. Pure: the
//! atlas comes in as a closure, nothing here touches SQL or HTTP.

use crate::wilayah::AreaCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest name (nama) accepted.
pub const MAX_NAMA: usize = 200;
/// Longest address (alamat) accepted.
pub const MAX_ALAMAT: usize = 300;
/// Most household members a row may claim.
pub const MAX_ANGGOTA: i64 = 30;

/// Where a batch of candidate data comes from (seed 001 A: Disnaker, Dinsos, other PD; seed 001
/// C: a bottom-up proposal, usulan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Sumber {
    Disnaker,
    Dinsos,
    /// Another perangkat daerah.
    PdLain,
    /// Bottom-up proposal (usulan warga yang belum terdata).
    Usulan,
}

impl Sumber {
    pub const ALL: [Sumber; 4] = [Sumber::Disnaker, Sumber::Dinsos, Sumber::PdLain, Sumber::Usulan];

    pub fn as_str(self) -> &'static str {
        match self {
            Sumber::Disnaker => "disnaker",
            Sumber::Dinsos => "dinsos",
            Sumber::PdLain => "pd_lain",
            Sumber::Usulan => "usulan",
        }
    }

    pub fn parse(s: &str) -> Option<Sumber> {
        Sumber::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// The file format of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// From a file name's extension.
    pub fn from_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(Format::Xlsx)
        } else {
            None
        }
    }
}

/// A problem with the file as a whole (encoding, header, merged cells, formulas): the batch is
/// refused and nothing is stored. `line` is the file line or spreadsheet row when one is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FileProblem {
    pub line: Option<usize>,
    pub field: String,
    pub detail: String,
}

impl FileProblem {
    fn new(line: Option<usize>, field: &str, detail: impl Into<String>) -> FileProblem {
        FileProblem { line, field: field.into(), detail: detail.into() }
    }
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.detail),
            None => write!(f, "{}", self.detail),
        }
    }
}

/// One cell as read: its text, and whether the spreadsheet stored it as a number (a NIK stored as
/// a number has lost its 16th digit: Excel keeps 15).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

/// A source file read into rows: the normalised header and each non-blank row with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<Cell>)>,
}

/// `No. KK` → `no_kk`, `Jumlah Anggota` → `jumlah_anggota`.
fn normalise_header(h: &str) -> String {
    let mut out = String::new();
    for c in h.trim().trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Reads a CSV file (UTF-8, comma or semicolon separated, as Excel in an Indonesian locale saves).
pub fn read_csv(bytes: &[u8]) -> Result<Table, Vec<FileProblem>> {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(vec![FileProblem::new(None, "file", "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\"")]);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}'),
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            return Err(vec![FileProblem::new(
                Some(line),
                "file",
                format!("the file is not UTF-8 (byte {} on line {line}; Windows-1252 from an older Excel?); save it as \"CSV UTF-8\"", e.valid_up_to()),
            )]);
        }
    };
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(';') && !first.contains(',') { b';' } else { b',' };
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(text.as_bytes());
    let mut header = None;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                problems.push(FileProblem::new(line, "file", format!("unreadable CSV: {e}")));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let cells: Vec<Cell> = rec.iter().map(|t| Cell { text: t.trim().to_string(), numeric: false }).collect();
        if header.is_none() {
            header = Some(cells.iter().map(|c| normalise_header(&c.text)).collect::<Vec<_>>());
        } else if cells.iter().any(|c| !c.text.is_empty()) {
            rows.push((line, cells));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Table { header: header.unwrap_or_default(), rows })
}

/// The spreadsheet name of cell (row, col), zero-based: (2, 1) → `B3`.
fn cell_ref(row: u32, col: u32) -> String {
    let mut c = col + 1;
    let mut letters = Vec::new();
    while c > 0 {
        letters.push(char::from(b'A' + ((c - 1) % 26) as u8));
        c = (c - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}

/// Reads the first sheet of an XLSX workbook. Merged cells and formulas are refused: a merged
/// cell leaves the rows under it blank (which household does it belong to?), and a formula's value
/// is whatever Excel last computed (or nothing, for a file written by another program).
pub fn read_xlsx(bytes: &[u8]) -> Result<Table, Vec<FileProblem>> {
    use calamine::{Data, Reader, Xlsx};
    let bad = |detail: String| vec![FileProblem::new(None, "file", detail)];
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| bad(format!("not a readable XLSX workbook: {e}")))?;
    let sheet = wb.sheet_names().first().cloned().ok_or_else(|| bad("the workbook has no sheet".into()))?;
    let mut problems = Vec::new();
    let merged = wb.merge_cells_by_sheet_name(&sheet).map_err(|e| bad(format!("sheet {sheet:?}: {e}")))?;
    if !merged.is_empty() {
        let list: Vec<String> = merged.iter().take(10).map(|d| format!("{}:{}", cell_ref(d.start.0, d.start.1), cell_ref(d.end.0, d.end.1))).collect();
        problems.push(FileProblem::new(
            Some(merged[0].start.0 as usize + 1),
            "file",
            format!("sheet {sheet:?} has {} merged cell range(s) ({}): unmerge them and fill every row", merged.len(), list.join(", ")),
        ));
    }
    let formulas = wb.worksheet_formula(&sheet).map_err(|e| bad(format!("sheet {sheet:?}: {e}")))?;
    let with_formula: Vec<(u32, u32)> = formulas.used_cells().filter(|(_, _, f)| !f.is_empty()).map(|(r, c, _)| (r as u32, c as u32)).collect();
    if !with_formula.is_empty() {
        let (r0, c0) = formulas.start().unwrap_or((0, 0));
        let list: Vec<String> = with_formula.iter().take(10).map(|(r, c)| cell_ref(r + r0, c + c0)).collect();
        problems.push(FileProblem::new(
            Some((with_formula[0].0 + r0) as usize + 1),
            "file",
            format!("sheet {sheet:?} has {} cell(s) with formulas ({}): copy them and paste as values", with_formula.len(), list.join(", ")),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let range = wb.worksheet_range(&sheet).map_err(|e| bad(format!("sheet {sheet:?}: {e}")))?;
    let row0 = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let col0 = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut header = None;
    let mut rows = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let line = row0 + i + 1;
        let mut cells = vec![Cell::default(); col0];
        cells.extend(r.iter().map(|d| match d {
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell { text: s.trim().to_string(), numeric: false },
            Data::Int(v) => Cell { text: v.to_string(), numeric: true },
            Data::Float(v) if v.fract() == 0.0 && v.abs() < 1e17 => Cell { text: format!("{v:.0}"), numeric: true },
            Data::Float(v) => Cell { text: v.to_string(), numeric: true },
            Data::Bool(b) => Cell { text: b.to_string(), numeric: false },
            Data::DateTime(d) => Cell { text: d.to_string(), numeric: false },
            Data::Error(e) => Cell { text: format!("#{e:?}"), numeric: false },
            Data::Empty => Cell::default(),
        }));
        if header.is_none() {
            if line != 1 {
                return Err(vec![FileProblem::new(Some(line), "file", format!("the header must be on row 1 of sheet {sheet:?} (found on row {line})"))]);
            }
            header = Some(cells.iter().map(|c| normalise_header(&c.text)).collect::<Vec<_>>());
        } else if cells.iter().any(|c| !c.text.is_empty()) {
            rows.push((line, cells));
        }
    }
    Ok(Table { header: header.unwrap_or_default(), rows })
}

/// The columns a candidate file must have, with the header names accepted for each (after
/// normalisation: lower case, `_` for spaces and punctuation).
const COLUMNS: &[(&str, &[&str], bool)] = &[
    ("nik", &["nik", "nik_kepala_keluarga"], true),
    ("no_kk", &["no_kk", "nomor_kk", "nkk", "no_kartu_keluarga"], true),
    ("nama", &["nama", "nama_kepala_keluarga"], true),
    ("alamat", &["alamat"], true),
    ("rt", &["rt"], true),
    ("rw", &["rw", "kode_rw"], true),
    ("kelurahan", &["kelurahan", "kode_kelurahan"], false),
    ("jumlah_anggota", &["jumlah_anggota", "jumlah_anggota_keluarga", "jml_anggota"], true),
    ("program", &["program", "bansos_lain", "program_diterima"], false),
    ("telepon", &["telepon", "no_hp", "no_telepon", "nomor_hp"], false),
];

/// Where each known column is in a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(Vec<(&'static str, usize)>);

impl Columns {
    /// Finds the columns; a missing required column or a column given twice refuses the file.
    pub fn find(header: &[String]) -> Result<Columns, Vec<FileProblem>> {
        let mut found = Vec::new();
        let mut problems = Vec::new();
        for (name, aliases, required) in COLUMNS {
            let at: Vec<usize> = header.iter().enumerate().filter(|(_, h)| aliases.contains(&h.as_str())).map(|(i, _)| i).collect();
            match at.as_slice() {
                [] if *required => problems.push(FileProblem::new(Some(1), name, format!("column {name} is missing (accepted headers: {})", aliases.join(", ")))),
                [] => {}
                [i] => found.push((*name, *i)),
                _ => problems.push(FileProblem::new(Some(1), name, format!("column {name} appears {} times in the header", at.len()))),
            }
        }
        if !problems.is_empty() {
            let shown = header.join(",");
            problems.push(FileProblem::new(Some(1), "file", format!("the header read was: {shown}")));
            return Err(problems);
        }
        Ok(Columns(found))
    }

    fn get<'a>(&self, cells: &'a [Cell], name: &str) -> Option<&'a Cell> {
        self.0.iter().find(|(n, _)| *n == name).and_then(|(_, i)| cells.get(*i))
    }
}

/// Why a row is refused (status `ditolak`) or flagged. The code is stable (clients and reports
/// key on it); the text says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Alasan {
    pub kode: String,
    pub kolom: String,
    pub keterangan: String,
}

impl Alasan {
    fn new(kode: &str, kolom: &str, keterangan: impl Into<String>) -> Alasan {
        Alasan { kode: kode.into(), kolom: kolom.into(), keterangan: keterangan.into() }
    }
}

/// Provinces of the Kemendagri code list (the first two digits of a NIK or No. KK).
const PROVINCES: &[u32] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93,
    94, 95, 96,
];
/// DKI Jakarta's province code.
pub const DKI: u32 = 31;
/// DKI's kota/kabupaten codes: Kepulauan Seribu and the five kota administrasi.
const DKI_KOTA: &[u32] = &[1, 71, 72, 73, 74, 75];

/// What a NIK says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NikInfo {
    pub province: u32,
    pub kota: u32,
    pub perempuan: bool,
    /// Day and month of birth (the year's century is not in the NIK).
    pub lahir: (u32, u32),
}

/// The common checks of a 16-digit number (NIK or No. KK): digits only, not Excel's scientific
/// notation or a number cell, 16 long. `kolom` names the column.
fn sixteen_digits(kolom: &str, cell: &Cell) -> Result<String, Alasan> {
    let t: String = cell.text.chars().filter(|c| !c.is_whitespace()).collect();
    let label = if kolom == "nik" { "NIK" } else { "No. KK" };
    if t.is_empty() {
        return Err(Alasan::new(&format!("{kolom}_kosong"), kolom, format!("{label} is empty")));
    }
    let sci = t.contains(['E', 'e']) && t.chars().all(|c| c.is_ascii_digit() || matches!(c, 'E' | 'e' | '+' | '-' | '.' | ','));
    if sci || cell.numeric {
        return Err(Alasan::new(
            &format!("{kolom}_notasi_ilmiah"),
            kolom,
            format!(
                "{label} {} was stored as a number (Excel keeps 15 digits, so the last digits are lost): format the column as Text and enter the {label} again from the source",
                if sci { t.as_str() } else { "cell" }
            ),
        ));
    }
    if !t.chars().all(|c| c.is_ascii_digit()) {
        return Err(Alasan::new(&format!("{kolom}_bukan_angka"), kolom, format!("{label} must be digits only")));
    }
    if t.len() != 16 {
        return Err(Alasan::new(&format!("{kolom}_panjang_salah"), kolom, format!("{label} has {} digits; it must have 16", t.len())));
    }
    let province: u32 = t[0..2].parse().unwrap_or(0);
    if !PROVINCES.contains(&province) {
        return Err(Alasan::new(&format!("{kolom}_wilayah_salah"), kolom, format!("{label} starts with {province:02}, which is no province code")));
    }
    if &t[2..4] == "00" || &t[4..6] == "00" {
        return Err(Alasan::new(&format!("{kolom}_wilayah_salah"), kolom, format!("{label}: kab/kota or kecamatan code is 00")));
    }
    Ok(t)
}

/// Checks a NIK: 16 digits, a real province/kab-kota/kecamatan code, a possible date of birth
/// (DDMMYY, day + 40 for women), a non-zero serial. A NIK of another province is valid (flagged
/// by the caller, not refused).
pub fn check_nik(cell: &Cell) -> Result<(String, NikInfo), Alasan> {
    let t = sixteen_digits("nik", cell)?;
    let n = |a: usize, b: usize| t[a..b].parse::<u32>().unwrap_or(0);
    let (province, kota) = (n(0, 2), n(2, 4));
    if province == DKI && !DKI_KOTA.contains(&kota) {
        return Err(Alasan::new("nik_wilayah_salah", "nik", format!("NIK 31{kota:02}…: DKI has no kab/kota {kota:02} (01, 71–75)")));
    }
    let (dd, mm, yy) = (n(6, 8), n(8, 10), n(10, 12));
    let perempuan = dd > 40;
    let day = if perempuan { dd - 40 } else { dd };
    // The century is not encoded: a date is possible if it exists in 19YY or 20YY (29 February).
    let exists = [1900, 2000].iter().any(|c| NaiveDate::from_ymd_opt((c + yy) as i32, mm, day).is_some());
    if day == 0 || !exists {
        return Err(Alasan::new(
            "nik_tanggal_lahir_salah",
            "nik",
            format!("NIK encodes the date of birth {dd:02}-{mm:02}-{yy:02} (day + 40 for women), which does not exist"),
        ));
    }
    if &t[12..16] == "0000" {
        return Err(Alasan::new("nik_nomor_urut_salah", "nik", "NIK ends in 0000, which is no serial number"));
    }
    Ok((t, NikInfo { province, kota, perempuan, lahir: (day, mm) }))
}

/// Checks a No. KK: 16 digits with a real region code.
pub fn check_kk(cell: &Cell) -> Result<String, Alasan> {
    sixteen_digits("no_kk", cell)
}

/// Programmes a household may already receive (seed 002 step 3: not eligible if on any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    Pkh,
    Bpnt,
    Bst,
    Kjs,
    /// Bantuan permakanan (meal aid).
    Permakanan,
    /// Paket sembako isoman.
    Isoman,
}

impl Program {
    pub const ALL: [Program; 6] = [Program::Pkh, Program::Bpnt, Program::Bst, Program::Kjs, Program::Permakanan, Program::Isoman];

    pub fn as_str(self) -> &'static str {
        match self {
            Program::Pkh => "pkh",
            Program::Bpnt => "bpnt",
            Program::Bst => "bst",
            Program::Kjs => "kjs",
            Program::Permakanan => "permakanan",
            Program::Isoman => "isoman",
        }
    }

    /// From the words used in source files: `PKH`, `Bantuan Permakanan`, `sembako isoman`.
    pub fn parse(s: &str) -> Option<Program> {
        let s = s.trim().to_lowercase();
        if s.contains("permakanan") {
            return Some(Program::Permakanan);
        }
        if s.contains("isoman") {
            return Some(Program::Isoman);
        }
        Program::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Parses the programme list (`PKH; BPNT`, `-` or empty for none).
pub fn parse_programs(s: &str) -> Result<Vec<Program>, Alasan> {
    let mut out = Vec::new();
    for part in s.split([';', ',', '/']).map(str::trim).filter(|p| !p.is_empty() && *p != "-") {
        match Program::parse(part) {
            Some(p) if !out.contains(&p) => out.push(p),
            Some(_) => {}
            None => {
                return Err(Alasan::new(
                    "program_tidak_dikenal",
                    "program",
                    format!("program {part:?} is not one of PKH, BPNT, BST, KJS, Bantuan Permakanan, Paket Isoman"),
                ))
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A candidate row after cleaning. `alasan` empty means status `valid`; a flag (`luar_dki`) does
/// not refuse the row.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub line: usize,
    pub nik: Option<String>,
    pub no_kk: Option<String>,
    pub nama: Option<String>,
    pub alamat: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<AreaCode>,
    pub jumlah_anggota: Option<i64>,
    pub program: Vec<Program>,
    pub telepon: Option<String>,
    pub luar_dki: bool,
    pub alasan: Vec<Alasan>,
}

impl Candidate {
    pub fn valid(&self) -> bool {
        self.alasan.is_empty()
    }
}

fn text_field(kolom: &str, cell: Option<&Cell>, max: usize, alasan: &mut Vec<Alasan>) -> Option<String> {
    match crate::text::required(kolom, cell.map(|c| c.text.as_str()).unwrap_or(""), max) {
        Ok(t) => Some(t.split_whitespace().collect::<Vec<_>>().join(" ")),
        Err(e) => {
            let kode = match e {
                crate::text::TextError::Missing { .. } => "kosong",
                crate::text::TextError::Control { .. } => "karakter_kendali",
                crate::text::TextError::TooLong { .. } => "terlalu_panjang",
            };
            alasan.push(Alasan::new(&format!("{kolom}_{kode}"), kolom, e.to_string()));
            None
        }
    }
}

/// Cleans one row. `resolve_rw(rw, kelurahan)` finds the RW in the atlas (a full RW code, or an
/// RW number with the kelurahan's code or name) or says why not.
pub fn clean(line: usize, cells: &[Cell], cols: &Columns, resolve_rw: &dyn Fn(&str, &str) -> Result<AreaCode, String>) -> Candidate {
    let mut alasan = Vec::new();
    let empty = Cell::default();
    let get = |name: &str| cols.get(cells, name).unwrap_or(&empty);
    let (nik, luar_dki) = match check_nik(get("nik")) {
        Ok((n, info)) => (Some(n), info.province != DKI),
        Err(a) => {
            alasan.push(a);
            (None, false)
        }
    };
    let no_kk = check_kk(get("no_kk")).map_err(|a| alasan.push(a)).ok();
    let nama = text_field("nama", Some(get("nama")), MAX_NAMA, &mut alasan);
    let alamat = text_field("alamat", Some(get("alamat")), MAX_ALAMAT, &mut alasan);
    let rt_text = get("rt").text.trim().to_string();
    let rt = match rt_text.parse::<u32>() {
        Ok(n) if (1..=999).contains(&n) && rt_text.len() <= 3 => Some(format!("{n:03}")),
        _ => {
            alasan.push(Alasan::new("rt_salah", "rt", format!("RT {rt_text:?} is not a number from 1 to 999")));
            None
        }
    };
    let rw = match resolve_rw(get("rw").text.trim(), get("kelurahan").text.trim()) {
        Ok(c) => Some(c),
        Err(why) => {
            alasan.push(Alasan::new("rw_tidak_ada", "rw", why));
            None
        }
    };
    let jumlah_text = get("jumlah_anggota").text.trim().to_string();
    let jumlah_anggota = match jumlah_text.parse::<i64>() {
        Ok(n) if (1..=MAX_ANGGOTA).contains(&n) => Some(n),
        _ => {
            alasan.push(Alasan::new("jumlah_anggota_salah", "jumlah_anggota", format!("jumlah anggota {jumlah_text:?} is not a whole number from 1 to {MAX_ANGGOTA}")));
            None
        }
    };
    let program = parse_programs(&get("program").text).map_err(|a| alasan.push(a)).unwrap_or_default();
    let tel_text: String = get("telepon").text.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let telepon = if tel_text.is_empty() {
        None
    } else if tel_text.trim_start_matches('+').chars().all(|c| c.is_ascii_digit()) && (8..=15).contains(&tel_text.trim_start_matches('+').len()) {
        Some(tel_text)
    } else {
        alasan.push(Alasan::new("telepon_salah", "telepon", "telepon must be 8 to 15 digits (optionally starting with +)"));
        None
    };
    Candidate { line, nik, no_kk, nama, alamat, rt, rw, jumlah_anggota, program, telepon, luar_dki, alasan }
}

/// Lower case, letters and digits only, single spaces: what two spellings of a name or an
/// address are compared on.
pub fn normalise(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Names at least this similar (Jaro-Winkler) in the same RW, …
pub const NAMA_MIRIP: f64 = 0.92;
/// … with addresses at least this similar (normalised Levenshtein), are near-duplicates for a
/// person to decide.
pub const ALAMAT_MIRIP: f64 = 0.80;

/// The similarity of two (already normalised) names and addresses: (nama, alamat) in 0..=1.
pub fn similarity(nama_a: &str, alamat_a: &str, nama_b: &str, alamat_b: &str) -> (f64, f64) {
    (strsim::jaro_winkler(nama_a, nama_b), strsim::normalized_levenshtein(alamat_a, alamat_b))
}

/// A household's normalised name and address with what the cheap bounds of [`may_be_near`]
/// need, computed once per household instead of once per pair.
#[derive(Debug, Clone)]
pub struct Comparable {
    pub id: i64,
    pub nama: String,
    pub alamat: String,
    nama_len: usize,
    alamat_len: usize,
    /// Characters of the name by class: a–z, 0–9, space, anything else.
    hist: [u16; 38],
    /// The same for the address.
    alamat_hist: [u16; 38],
}

/// Characters of `s` by class (a–z, 0–9, space, anything else): merging the other characters
/// into one class can only raise the count two strings share, so the bounds stay bounds.
fn histogram(s: &str) -> [u16; 38] {
    let mut hist = [0u16; 38];
    for c in s.chars() {
        let k = match c {
            'a'..='z' => c as usize - 'a' as usize,
            '0'..='9' => 26 + (c as usize - '0' as usize),
            ' ' => 36,
            _ => 37,
        };
        hist[k] = hist[k].saturating_add(1);
    }
    hist
}

/// Characters two histograms share (as a multiset).
fn shared(a: &[u16; 38], b: &[u16; 38]) -> usize {
    a.iter().zip(b).map(|(x, y)| usize::from(*x.min(y))).sum()
}

impl Comparable {
    /// From the stored name and address (normalised here, as [`similarity`] compares them).
    pub fn new(id: i64, nama: &str, alamat: &str) -> Comparable {
        let (nama, alamat) = (normalise(nama), normalise(alamat));
        let (hist, alamat_hist) = (histogram(&nama), histogram(&alamat));
        Comparable { id, nama_len: nama.chars().count(), alamat_len: alamat.chars().count(), nama, alamat, hist, alamat_hist }
    }
}

/// Rounding room of the bounds (they must never be stricter than the measures).
const SLACK: f64 = 1e-9;

/// Whether addresses of these lengths (characters) can be [`ALAMAT_MIRIP`] similar: a
/// Levenshtein distance is at least the difference of the lengths.
fn alamat_lengths_fit(a: usize, b: usize) -> bool {
    let longest = a.max(b);
    longest == 0 || 1.0 - (a.abs_diff(b) as f64) / (longest as f64) >= ALAMAT_MIRIP - SLACK
}

/// Whether two households *can* pass [`near_duplicate`], from bounds that never say no to a pair
/// that passes (a pre-filter: an RW of 460 households has 100,000 pairs, and the two string
/// measures were most of a million-household import). Address: a Levenshtein distance is at least
/// the difference of the lengths, and at least the characters of the longer one that the other
/// lacks (as a multiset: each edit supplies at most one). Name: Jaro's matched characters are at
/// most the characters the names share (as a multiset, classes above), so
/// Jaro ≤ (c/|a| + c/|b| + 1)/3, and Winkler's bonus (prefix of at most 4, factor 0.1) adds at
/// most 0.4·(1 − Jaro).
pub fn may_be_near(a: &Comparable, b: &Comparable) -> bool {
    if !alamat_lengths_fit(a.alamat_len, b.alamat_len) {
        return false;
    }
    let longest = a.alamat_len.max(b.alamat_len);
    if longest > 0 && 1.0 - ((longest - shared(&a.alamat_hist, &b.alamat_hist)) as f64) / (longest as f64) < ALAMAT_MIRIP - SLACK {
        return false;
    }
    if a.nama_len == 0 || b.nama_len == 0 {
        return a.nama_len == b.nama_len;
    }
    let common = shared(&a.hist, &b.hist);
    let jaro = (common as f64 / a.nama_len as f64 + common as f64 / b.nama_len as f64 + 1.0) / 3.0;
    jaro + 0.4 * (1.0 - jaro) >= NAMA_MIRIP - SLACK
}

/// A household as the near-duplicate pass sees it: id, RW, nama, alamat (as stored).
pub type Listed = (i64, String, String, String);

/// The near-duplicate pairs a batch adds: each of its new households (`fresh`) against the
/// others of its RW, those already on the list (`listed`) and the batch's own, through
/// [`candidate_pairs`] and the two measures. Answers (rw, id, other id, scores) in RW order.
/// Owned inputs and no I/O: the import runs it on a blocking thread while the server stores
/// the rows (7.7 s of CPU at 1.2M households, which used to hold up both the import and an
/// async worker).
pub fn near_pairs(listed: Vec<Listed>, fresh: Vec<Listed>) -> Vec<(String, i64, i64, (f64, f64))> {
    let mut by_rw: std::collections::BTreeMap<String, (Vec<Comparable>, std::collections::HashSet<i64>)> = Default::default();
    for (id, rw, ..) in &fresh {
        by_rw.entry(rw.clone()).or_default().1.insert(*id);
    }
    // Listed first, then the batch's own (their ids are larger): each RW's list in id order.
    for (id, rw, nama, alamat) in listed.into_iter().chain(fresh) {
        if let Some((all, _)) = by_rw.get_mut(&rw) {
            all.push(Comparable::new(id, &nama, &alamat));
        }
    }
    let mut out = Vec::new();
    for (rw, (all, new_ids)) in by_rw {
        for (x, o) in candidate_pairs(&all, &|id| new_ids.contains(&id)) {
            let (x, o) = (&all[x], &all[o]);
            let scores = similarity(&x.nama, &x.alamat, &o.nama, &o.alamat);
            if near_duplicate(scores) {
                out.push((rw.clone(), x.id, o.id, scores));
            }
        }
    }
    out
}

/// The pairs of one RW's households worth measuring, each once, at least one of them new
/// (`is_new`): a **blocked** comparison instead of every pair. The households are sorted by
/// address length, and a new household meets only the block of lengths its address can be
/// [`ALAMAT_MIRIP`] similar to (a Levenshtein distance is at least the difference of the
/// lengths, so no pair outside it can pass; found by binary search), then the bounds of
/// [`may_be_near`]. Never drops a pair [`near_duplicate`] accepts (unit-tested). The pairs
/// come back as indexes into `all`.
pub fn candidate_pairs(all: &[Comparable], is_new: &dyn Fn(i64) -> bool) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&i| (all[i].alamat_len, all[i].id));
    let mut out = Vec::new();
    for &x in order.iter().filter(|&&i| is_new(all[i].id)) {
        let len = all[x].alamat_len;
        // Lengths below `len` that cannot fit come first, lengths above it that cannot fit last.
        let start = order.partition_point(|&i| all[i].alamat_len < len && !alamat_lengths_fit(all[i].alamat_len, len));
        let end = order.partition_point(|&i| all[i].alamat_len <= len || alamat_lengths_fit(all[i].alamat_len, len));
        for &o in &order[start..end] {
            // Each pair once: a pair of two new households is taken from the higher id.
            if o == x || (is_new(all[o].id) && all[o].id > all[x].id) {
                continue;
            }
            if may_be_near(&all[x], &all[o]) {
                out.push((x, o));
            }
        }
    }
    out
}

/// Whether two households of one RW look like the same one under two NIKs and No. KKs.
pub fn near_duplicate(scores: (f64, f64)) -> bool {
    scores.0 >= NAMA_MIRIP && scores.1 >= ALAMAT_MIRIP
}

/// A person's decision on a near-duplicate pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Keputusan {
    /// The same household: the newer one is marked `duplikat_dari` the older and leaves the list.
    Sama,
    /// Two households: both stay.
    Beda,
}

impl Keputusan {
    pub fn as_str(self) -> &'static str {
        match self {
            Keputusan::Sama => "sama",
            Keputusan::Beda => "beda",
        }
    }
}

/// Request body of `POST /api/v1/recipients/near-duplicates/{id}/decision`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub keputusan: Keputusan,
    /// Why (kept with the decision and in the audit log).
    pub alasan: String,
}

impl DecisionInput {
    pub fn check(&self) -> Result<String, crate::text::TextError> {
        crate::text::required("alasan", &self.alasan, 500).map(str::to_string)
    }
}

/// One decision of a verification request.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifikasiItem {
    pub household_id: i64,
    pub keputusan: super::verification::Putusan,
    /// Required when refusing or returning; optional when accepting.
    #[serde(default)]
    pub alasan: Option<String>,
}

/// Request body of `POST /api/v1/recipients/verification`: a page of decisions (1 to 500), all
/// or none.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifikasiInput {
    pub items: Vec<VerifikasiItem>,
}

/// A checked decision: household, decision, reason.
pub type Decided = (i64, super::verification::Putusan, String);

/// Most decisions in one request (a page of the operator's list).
pub const MAX_ITEMS: usize = 500;

impl VerifikasiInput {
    /// The decisions with their reasons checked; errors name `items[i].field`.
    pub fn check(&self) -> Result<Vec<Decided>, (String, String)> {
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(("items".into(), format!("items must hold 1 to {MAX_ITEMS} decisions (got {})", self.items.len())));
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            let f = |n: &str| format!("items[{i}].{n}");
            if !seen.insert(it.household_id) {
                return Err((f("household_id"), format!("household {} appears twice in one request", it.household_id)));
            }
            let alasan = match (it.keputusan, crate::text::optional(&f("alasan"), it.alasan.as_deref(), 500)) {
                (_, Err(e)) => return Err((e.field().to_string(), e.to_string())),
                (super::verification::Putusan::Diterima, Ok(a)) => a.unwrap_or("-").to_string(),
                (_, Ok(Some(a))) => a.to_string(),
                (_, Ok(None)) => return Err((f("alasan"), format!("{} needs a reason (alasan)", it.keputusan.as_str()))),
            };
            out.push((it.household_id, it.keputusan, alasan));
        }
        Ok(out)
    }
}

/// A row of a proposal (usulan) that lies in another RW than the proposal's: refused with the
/// reason `rw_di_luar_usulan` (a proposal is one RW's recap; the row is kept, not dropped).
pub fn restrict_to_rw(c: &mut Candidate, rw: &AreaCode) {
    if let Some(r) = &c.rw {
        if r != rw {
            c.alasan.push(Alasan::new("rw_di_luar_usulan", "rw", format!("RW {r} is not the proposal's RW {rw}: send it with that RW's proposal")));
        }
    }
}

/// Request body of `POST /api/v1/recipients/proposals/{id}/steps`: forward the proposal to the
/// next desk or send it back one step, naming the version read.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LangkahInput {
    pub aksi: super::usulan::Aksi,
    /// The proposal's `versi` as read (it moved meanwhile: 409).
    pub versi: i64,
    /// Required to send back; an optional note to forward.
    #[serde(default)]
    pub alasan: Option<String>,
}

impl LangkahInput {
    /// The reason as stored (`-` for a forward without a note).
    pub fn check(&self) -> Result<String, crate::text::TextError> {
        match (self.aksi, crate::text::optional("alasan", self.alasan.as_deref(), 500)?) {
            (_, Some(a)) => Ok(a.to_string()),
            (super::usulan::Aksi::Teruskan, None) => Ok("-".into()),
            // Sending back needs a reason.
            (super::usulan::Aksi::Kembalikan, None) => Err(crate::text::TextError::Missing { field: "alasan".into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(t: &str) -> Cell {
        Cell { text: t.into(), numeric: false }
    }

    #[test]
    fn nik_checks_give_reasons() {
        let (n, info) = check_nik(&cell("3171014101900001")).unwrap();
        assert_eq!(n, "3171014101900001");
        assert!(info.perempuan && info.province == 31 && info.lahir == (1, 1));
        assert!(check_nik(&cell("3171012902000001")).is_ok(), "29 Feb 2000 exists");
        assert!(check_nik(&cell("3271010101900001")).is_ok(), "Jawa Barat NIK is valid (flagged later)");
        let kode = |t: &str| check_nik(&cell(t)).unwrap_err().kode;
        assert_eq!(kode("3.17101E+15"), "nik_notasi_ilmiah");
        assert_eq!(check_nik(&Cell { text: "3171010101900001".into(), numeric: true }).unwrap_err().kode, "nik_notasi_ilmiah");
        assert_eq!(kode("31710101019000O1"), "nik_bukan_angka");
        assert_eq!(kode("317101010190001"), "nik_panjang_salah");
        assert_eq!(kode("3171013202900001"), "nik_tanggal_lahir_salah", "32 Feb");
        assert_eq!(kode("3171017202900001"), "nik_tanggal_lahir_salah", "day 72 - 40 = 32");
        assert_eq!(kode("3171010113900001"), "nik_tanggal_lahir_salah", "month 13");
        assert_eq!(kode("3171013002900001"), "nik_tanggal_lahir_salah", "30 Feb");
        assert_eq!(kode("3171010101900000"), "nik_nomor_urut_salah");
        assert_eq!(kode("9971010101900001"), "nik_wilayah_salah");
        assert_eq!(kode("3180010101900001"), "nik_wilayah_salah", "DKI has no kota 80");
        assert_eq!(kode(""), "nik_kosong");
        assert_eq!(check_kk(&cell("3171010101200003")).unwrap(), "3171010101200003");
        assert_eq!(check_kk(&cell("3171")).unwrap_err().kode, "no_kk_panjang_salah");
    }

    #[test]
    fn csv_reads_either_delimiter_and_refuses_other_encodings() {
        let t = read_csv("NIK;No. KK;Nama\n1;2;Budi\n\n".as_bytes()).unwrap();
        assert_eq!(t.header, vec!["nik", "no_kk", "nama"]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].0, 2);
        let latin1 = b"nik,nama\n1,Jos\xe9\n";
        let e = read_csv(latin1).unwrap_err();
        assert_eq!(e[0].line, Some(2));
        assert!(e[0].detail.contains("UTF-8"), "{e:?}");
        assert!(read_csv(&[0xff, 0xfe, b'n', 0]).unwrap_err()[0].detail.contains("UTF-16"));
    }

    #[test]
    fn header_needs_every_required_column() {
        let h: Vec<String> = ["nik", "no_kk", "nama", "alamat", "rt", "rw", "jumlah_anggota"].map(String::from).to_vec();
        assert!(Columns::find(&h).is_ok());
        let e = Columns::find(&h[..5]).unwrap_err();
        assert!(e.iter().any(|p| p.field == "rw") && e.iter().any(|p| p.field == "jumlah_anggota"), "{e:?}");
        let mut twice = h.clone();
        twice.push("nik".into());
        assert_eq!(Columns::find(&twice).unwrap_err()[0].field, "nik");
    }

    #[test]
    fn programs_and_similarity() {
        assert_eq!(parse_programs("PKH; Bantuan Permakanan").unwrap(), vec![Program::Pkh, Program::Permakanan]);
        assert_eq!(parse_programs("-").unwrap(), vec![]);
        assert_eq!(parse_programs("PKH, BLT").unwrap_err().kode, "program_tidak_dikenal");
        let s = similarity(&normalise("Siti Aminah"), &normalise("Jl. Melati No. 5"), &normalise("Siti Aminah."), &normalise("Jl Melati no 5"));
        assert!(near_duplicate(s), "{s:?}");
        let s = similarity(&normalise("Siti Aminah"), &normalise("Jl. Melati No. 5"), &normalise("Budi Santoso"), &normalise("Jl. Melati No. 5"));
        assert!(!near_duplicate(s), "{s:?}");
        assert_eq!(cell_ref(2, 1), "B3");
        assert_eq!(cell_ref(0, 27), "AB1");
    }

    /// The bounds and the blocking on many random spellings: names and addresses as the bench
    /// generates them with 0–3 random edits (insert, delete, replace, swap), every pair.
    #[test]
    fn prefilter_and_blocking_keep_every_near_pair_of_random_spellings() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (names, streets) = (["Siti Aminah", "Sri Aminah", "Budi Santoso", "Dewi Lestari", "Eko Wibowo", "Ayu Lubis"], ["Jl. Melati", "Jl. Mawar", "Gg. Haji Saan", "Jl. Kampung Bali"]);
        let chars: Vec<char> = "abcdehiklmnostu 0123456789.".chars().collect();
        let edit = |s: &str, next: &mut dyn FnMut(usize) -> usize| {
            let mut v: Vec<char> = s.chars().collect();
            for _ in 0..next(4) {
                let i = next(v.len() + 1);
                match next(4) {
                    0 => v.insert(i, chars[next(chars.len())]),
                    1 if i < v.len() => drop(v.remove(i)),
                    2 if i < v.len() => v[i] = chars[next(chars.len())],
                    _ if i + 1 < v.len() => v.swap(i, i + 1),
                    _ => {}
                }
            }
            v.into_iter().collect::<String>()
        };
        let mut all = Vec::new();
        for id in 0..600 {
            let nama = edit(names[next(names.len())], &mut next);
            let alamat = edit(&format!("{} No. {}", streets[next(streets.len())], 1 + next(30)), &mut next);
            all.push(Comparable::new(id, &nama, &alamat));
        }
        let found: std::collections::HashSet<(i64, i64)> = candidate_pairs(&all, &|id| id % 2 == 0).iter().map(|&(x, o)| (all[x].id.min(all[o].id), all[x].id.max(all[o].id))).collect();
        let (mut near, mut pairs) = (0, 0);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                pairs += 1;
                if near_duplicate(similarity(&a.nama, &a.alamat, &b.nama, &b.alamat)) {
                    near += 1;
                    assert!(may_be_near(a, b) && may_be_near(b, a), "the bounds dropped a near pair: {a:?} {b:?}");
                    if a.id % 2 == 0 || b.id % 2 == 0 {
                        assert!(found.contains(&(a.id, b.id)), "blocking dropped a near pair: {a:?} {b:?}");
                    }
                }
            }
        }
        assert!(near > 100 && found.len() < pairs / 2, "near {near}, candidates {} of {pairs}", found.len());
    }

    /// The pre-filter never drops a pair the measures call near (checked over every pair of
    /// names and addresses built from close variants), and does drop clearly different ones.
    #[test]
    fn prefilter_keeps_every_near_pair() {
        let names = ["Siti Aminah", "Siti Aminah.", "Siti Aminan", "Sitti Aminah", "Siti Amina", "Budi Santoso", "Budi Santosa", "Bud Santoso", "Ani", "Anni", "A", "", "Dewi Lestari 2", "Dewi Lestari", "Ñoman Lestarí"];
        let alamats = ["Jl. Melati No. 5", "Jl Melati no 5", "Jl. Melati No. 15", "Jl. Mawar No. 5", "Gg. Melati 5", "Jl. Kebon Jeruk Raya No. 120 RT 3", "", "5"];
        let all: Vec<Comparable> = names.iter().flat_map(|n| alamats.iter().map(move |a| (n, a))).enumerate().map(|(i, (n, a))| Comparable::new(i as i64, n, a)).collect();
        let (mut near, mut dropped) = (0, 0);
        for a in &all {
            for b in &all {
                let is_near = near_duplicate(similarity(&a.nama, &a.alamat, &b.nama, &b.alamat));
                near += usize::from(is_near);
                if !may_be_near(a, b) {
                    dropped += 1;
                    assert!(!is_near, "dropped a near pair: {a:?} {b:?}");
                }
            }
        }
        assert!(near > all.len() && dropped > all.len() * all.len() / 3, "near {near}, dropped {dropped}");
        // The blocked comparison finds every near pair, each once, whichever households are new.
        for new_every in [1, 2, 3, 7] {
            let is_new = |id: i64| id % new_every == 0;
            let pairs = candidate_pairs(&all, &is_new);
            let found: std::collections::HashSet<(i64, i64)> = pairs.iter().map(|&(x, o)| (all[x].id.min(all[o].id), all[x].id.max(all[o].id))).collect();
            assert_eq!(found.len(), pairs.len(), "a pair twice");
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    if (is_new(a.id) || is_new(b.id)) && near_duplicate(similarity(&a.nama, &a.alamat, &b.nama, &b.alamat)) {
                        assert!(found.contains(&(a.id, b.id)), "blocking dropped a near pair: {a:?} {b:?}");
                    }
                }
                assert!(!found.contains(&(a.id, a.id)));
            }
            assert!(found.iter().all(|(a, b)| is_new(*a) || is_new(*b)), "only pairs with a new household");
        }
    }

    #[test]
    fn near_pairs_meet_new_households_with_their_rw_only() {
        let h = |id: i64, rw: &str, nama: &str, alamat: &str| (id, rw.to_string(), nama.to_string(), alamat.to_string());
        let listed = vec![
            h(1, "31.71.01.1002.001", "Siti Aminah", "Jl. Melati No. 5"),
            // Two listed households alike: decided (or flagged) before, not this batch's pair.
            h(2, "31.71.01.1002.001", "Budi Santoso", "Gang Kenari 12"),
            h(3, "31.71.01.1002.001", "Budi Santosa", "Gang Kenari 12"),
        ];
        let fresh = vec![
            h(10, "31.71.01.1002.001", "SITI AMINAH.", "Jl Melati No 5"),
            // The same name in another RW: never a pair.
            h(11, "31.71.01.1002.002", "Siti Aminah", "Jl. Melati No. 5"),
            h(12, "31.71.01.1002.002", "Rudi Hartono", "Jl. Swadaya 3"),
        ];
        let pairs: Vec<(String, i64, i64)> = near_pairs(listed, fresh).into_iter().map(|(rw, a, b, _)| (rw, a.min(b), a.max(b))).collect();
        assert_eq!(pairs, [("31.71.01.1002.001".to_string(), 1, 10)]);
    }
}
