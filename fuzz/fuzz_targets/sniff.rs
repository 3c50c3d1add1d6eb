//! Bytes behind a long plain-text preamble (past the sniffer's in-memory
//! window, so part of it is set aside in a temporary file): telling v1
//! from v2 gives the same answer as without the preamble, and the replayed
//! stream is exactly the input.
#![no_main]

use std::io::{Cursor, Read};

use libfuzzer_sys::fuzz_target;
use stackviz_export::sniff_stream;

/// Lines that are neither v1 directives nor hold a 0xB3 byte.
fn preamble() -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u32;
    while out.len() < (4 << 20) + 100_000 {
        out.extend_from_slice(format!("[{i:07}] fetching mirror list, attempt {i}\n").as_bytes());
        i += 1;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // Gzip is recognised by the first two bytes only; not what this tests.
    if data.starts_with(&[0x1f, 0x8b]) {
        return;
    }
    let alone = sniff_stream(Box::new(Cursor::new(data.to_vec())))
        .expect("sniffing a slice cannot fail")
        .protocol;
    let mut input = preamble();
    input.extend_from_slice(data);
    let opened = sniff_stream(Box::new(Cursor::new(input.clone()))).expect("sniff");
    assert_eq!(opened.protocol, alone);
    let mut replayed = Vec::new();
    opened.into_reader().read_to_end(&mut replayed).expect("replay");
    assert!(replayed == input, "the replayed stream differs from the input");
});
