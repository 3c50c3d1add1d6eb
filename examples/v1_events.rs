//! Prints the events `read_v1` yields, in the JSON shape of
//! `scripts/v1_oracle.py`, for comparing against python-subunit.
//!
//! Input on stdin: a JSON array of streams, each a string with one code
//! point U+0000..U+00FF per byte. Output: a JSON array with one array of
//! events per stream.

use std::io::Read;

use serde_json::Value;
use stackviz_export::read_v1;
use stackviz_export::testkit::oracle::Json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let streams: Vec<String> = serde_json::from_str(&text)?;
    let mut out = Vec::new();
    for s in streams {
        let bytes: Vec<u8> = s
            .chars()
            .map(|c| u8::try_from(u32::from(c)).expect("one byte per code point"))
            .collect();
        let mut sink = Json::default();
        read_v1(&mut &bytes[..], &mut sink)?;
        out.push(Value::Array(sink.0));
    }
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
