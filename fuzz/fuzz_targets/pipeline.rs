//! Bytes → stream file → full export, in both formats: the export succeeds
//! and leaves a complete, parseable set of files.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use stackviz_export::export::{self, Collect, FormatKind, Options};
use stackviz_export::source::{self, Protocol};
use stackviz_export::Error;

#[path = "../../tests/common/mod.rs"]
mod common;

fn scratch_root() -> &'static Path {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        Path::new("/tmp")
    }
}

fuzz_target!(|data: &[u8]| {
    let protocol = source::prepare(Box::new(Cursor::new(data.to_vec())))
        .expect("sniffing a slice cannot fail")
        .protocol;
    let tmp = tempfile::Builder::new()
        .prefix("svx-fuzz")
        .tempdir_in(scratch_root())
        .expect("temp dir");
    let input = tmp.path().join("in.subunit");
    std::fs::write(&input, data).expect("write input");
    for (format, gzip) in [(FormatKind::Tempest, false), (FormatKind::Artifacts, true)] {
        let dest = tmp.path().join(format!("out-{format:?}"));
        let opts = Options {
            dest: dest.clone(),
            files: vec![input.clone()],
            format,
            gzip,
            ..Options::default()
        };
        match export::export(&opts, &mut Collect::default()) {
            Ok(summary) => {
                let checked = common::check_export(&dest);
                assert_eq!(checked.raw.len(), 1);
                assert_eq!(checked.raw[0].len() as u64, summary.tests);
            }
            // A v1 stream can still be refused cleanly.
            Err(Error::Other(m)) if protocol == Protocol::V1 && m.contains("v1") => {
                assert!(!dest.join("config.json").exists());
                assert!(common::temp_files(&dest).is_empty());
            }
            Err(e) => panic!("export failed: {e}"),
        }
    }
});
