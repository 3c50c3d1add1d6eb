//! Bytes → stream file → export with the report and every CI file
//! (`--html --junit --ctrf --markdown --trace`; by the input's length, in
//! either layout, gzipped or with `--fix-for-frontend`): the export succeeds, and
//! each file is what its readers need. JUnit is well-formed XML made of
//! XML 1.0 characters, with as many `<testcase>` elements as its total
//! says; CTRF and the trace keep their formats' rules (the checkers the
//! tests use); the Markdown stays under GitHub's step-summary limit; the
//! page's data block is JSON.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use quick_xml::events::Event;
use stackviz_export::{export, CiFiles, Collect, FormatKind, Options};

#[path = "../../tests/common/ci_formats.rs"]
mod ci_formats;

/// GitHub's limit for one step's summary.
const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

fn json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).expect("read");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// XML 1.0's `Char` production.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn check_junit(path: &Path) {
    let text = std::fs::read_to_string(path).expect("JUnit is UTF-8");
    if let Some(c) = text.chars().find(|&c| !xml_char(c)) {
        panic!("JUnit holds U+{:04X}, not an XML character", c as u32);
    }
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut total, mut cases, mut depth) = (None, 0u64, 0usize);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                if e.name().as_ref() == b"testsuites" {
                    let tests = e
                        .try_get_attribute("tests")
                        .expect("attributes")
                        .expect("testsuites has tests");
                    total = Some(
                        std::str::from_utf8(&tests.value)
                            .expect("UTF-8")
                            .parse::<u64>()
                            .expect("a count"),
                    );
                }
                cases += u64::from(e.name().as_ref() == b"testcase");
            }
            Ok(Event::Empty(e)) => cases += u64::from(e.name().as_ref() == b"testcase"),
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("JUnit is not well-formed XML: {e}"),
        }
    }
    assert_eq!(depth, 0, "JUnit leaves elements open");
    assert_eq!(total, Some(cases), "JUnit's total against its test cases");
}

fn check_page(path: &Path) {
    const OPEN: &str = "<script type=\"application/json\" id=\"stackviz-data\">";
    let page = std::fs::read_to_string(path).expect("the page is UTF-8");
    let at = page.find(OPEN).expect("the data block") + OPEN.len();
    let len = page[at..].find("</script>").expect("the data block ends");
    serde_json::from_str::<serde::de::IgnoredAny>(&page[at..at + len])
        .unwrap_or_else(|e| panic!("the page's data is not JSON: {e}"));
    assert!(page.trim_end().ends_with("</html>"), "the page ends");
}

fuzz_target!(|data: &[u8]| {
    let tmp = stackviz_export::testkit::export_check::scratch_dir();
    let input = tmp.path().join("in.subunit");
    std::fs::write(&input, data).expect("write input");
    let side = |name: &str| Some(tmp.path().join(name));
    let dest = tmp.path().join("out");
    // The layouts and the front-end fix, chosen without spending input
    // bytes (seeds stay streams from their first byte).
    let variant = data.len() % 4;
    let opts = Options {
        dest: dest.clone(),
        files: vec![input],
        format: if variant % 2 == 1 {
            FormatKind::Artifacts
        } else {
            FormatKind::Tempest
        },
        gzip: variant == 3,
        fix_for_frontend: variant == 2,
        html: true,
        ci: CiFiles {
            junit: side("junit.xml"),
            ctrf: side("ctrf.json"),
            markdown: side("summary.md"),
            trace: side("trace.json"),
        },
        ..Options::default()
    };
    if let Err(e) = export(&opts, &mut Collect::default()) {
        panic!("export failed: {e}");
    }
    check_junit(&tmp.path().join("junit.xml"));
    let problems = ci_formats::ctrf_problems(&json(&tmp.path().join("ctrf.json")));
    assert!(problems.is_empty(), "CTRF: {problems:?}");
    let problems = ci_formats::trace_problems(&json(&tmp.path().join("trace.json")));
    assert!(problems.is_empty(), "trace: {problems:?}");
    let md = std::fs::read(tmp.path().join("summary.md")).expect("read");
    assert!(md.len() < STEP_SUMMARY_LIMIT, "Markdown is {} bytes", md.len());
    std::str::from_utf8(&md).expect("Markdown is UTF-8");
    check_page(&dest.join("index.html"));
});
