//! `sigap-glyphs OUT_DIR FONT_FILE...` writes `OUT_DIR/<family style>/<start>-<end>.pbf` for all
//! 256 ranges of the Basic Multilingual Plane, as MapLibre's `glyphs` URL expects
//! (`/glyphs/{fontstack}/{range}.pbf`). Ranges the font has no glyph in are written too (an empty
//! stack), so the map never asks for a file that is not there. Size 24, radius 8, cutoff 0.25:
//! the values MapLibre's own glyph server and the crate recommend.

use pbf_font_tools::prost::Message;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, fonts @ ..] = args.as_slice() else {
        eprintln!("usage: sigap-glyphs OUT_DIR FONT_FILE...");
        return ExitCode::from(2);
    };
    if fonts.is_empty() {
        eprintln!("usage: sigap-glyphs OUT_DIR FONT_FILE...");
        return ExitCode::from(2);
    }
    for font in fonts {
        let mut stack_dir: Option<PathBuf> = None;
        let mut glyphs = 0usize;
        for start in (0u32..65536).step_by(256) {
            let end = start + 255;
            let set = match pbf_font_tools::glyph_range_for_font(font, start, end, 24, 8, 0.25) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("sigap-glyphs: {font}: range {start}-{end}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let Some(stack) = set.stacks.first() else {
                eprintln!("sigap-glyphs: {font}: no font face");
                return ExitCode::FAILURE;
            };
            glyphs += stack.glyphs.len();
            let dir = stack_dir.get_or_insert_with(|| PathBuf::from(out).join(&stack.name));
            if let Err(e) = std::fs::create_dir_all(&*dir).and_then(|_| std::fs::write(dir.join(format!("{start}-{end}.pbf")), set.encode_to_vec())) {
                eprintln!("sigap-glyphs: writing {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if let Some(dir) = stack_dir {
            println!("sigap-glyphs: {font} → {} ({glyphs} glyphs)", dir.display());
        }
    }
    ExitCode::SUCCESS
}
