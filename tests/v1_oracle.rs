//! The v1 reader against python-subunit: every `tests/data/v1/X.subunit`
//! must yield exactly the events in `X.events.json`, which
//! `scripts/v1_oracle.py` recorded from stestr's own v1→v2 conversion.

use std::fs;
use std::io::BufReader;
use std::path::Path;

use serde_json::Value;
use stackviz_export::read_v1;
use stackviz_export::testkit::oracle::Json;

fn check(input: &Path) {
    let expected: Value =
        serde_json::from_slice(&fs::read(input.with_extension("events.json")).unwrap()).unwrap();
    let bytes = fs::read(input).unwrap();
    for capacity in [1, 7, 1 << 16] {
        let mut sink = Json::default();
        let mut reader = BufReader::with_capacity(capacity, &bytes[..]);
        read_v1(&mut reader, &mut sink).unwrap();
        let actual = Value::Array(sink.0);
        if actual != expected {
            let (Value::Array(a), Value::Array(e)) = (&actual, &expected) else {
                unreachable!()
            };
            let at = a.iter().zip(e).position(|(a, e)| a != e);
            panic!(
                "{}: events differ (buffer {capacity}); {} vs {} events; first difference at {at:?}:\n  got      {}\n  expected {}",
                input.display(),
                a.len(),
                e.len(),
                at.map_or(Value::Null, |i| a[i].clone()),
                at.map_or(Value::Null, |i| e[i].clone()),
            );
        }
    }
}

#[test]
fn v1_runs_match_python_subunit() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1");
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "subunit"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 5, "fixtures missing in {}", dir.display());
    for input in inputs {
        check(&input);
    }
}
