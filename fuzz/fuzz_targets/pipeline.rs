//! Bytes → stream file → full export, in both formats: the export succeeds
//! and leaves a complete, parseable set of files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stackviz_export::{export, Collect, FormatKind, Options};

use stackviz_export::testkit::export_check as common;

fuzz_target!(|data: &[u8]| {
    let tmp = common::scratch_dir();
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
        match export(&opts, &mut Collect::default()) {
            Ok(summary) => {
                let checked = common::check_export(&dest);
                assert_eq!(checked.raw.len(), 1);
                assert_eq!(checked.raw[0].len() as u64, summary.tests);
            }
            Err(e) => panic!("export failed: {e}"),
        }
    }
});
