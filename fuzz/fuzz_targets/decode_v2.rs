//! The v2 decoder over arbitrary bytes. Checks, besides "no panic, no hang":
//! counts stay within what the input can hold, the result does not depend on
//! how the reader splits the input, and every decoded event survives an
//! encode/decode round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

use stackviz_export::testkit::{Keep, Trickle};

use stackviz_export::testkit::encode::encode_event;
use stackviz_export::{Decoder, SIGNATURE};

fuzz_target!(|data: &[u8]| {
    let mut whole = Keep::default();
    let mut dec = Decoder::new(data);
    dec.run(&mut whole).expect("reading a slice cannot fail");
    for ev in &whole.events {
        for s in [&ev.test_id, &ev.mime, &ev.route].into_iter().flatten() {
            assert!(!s.contains('\0'), "NUL in a decoded string");
        }
    }
    let summary = dec.summary().clone();
    let signatures = data.iter().filter(|&&b| b == SIGNATURE).count() as u64;
    assert_eq!(summary.bytes, data.len() as u64);
    assert!(summary.packets + summary.damaged <= signatures);
    assert!(summary.skipped_bytes <= data.len() as u64);
    assert_eq!(
        whole.events.len() as u64,
        summary.packets + 2 * summary.damaged
    );
    for w in &whole.warnings {
        assert!(w.offset <= data.len() as u64, "warning past the end");
    }

    // Same result whatever the read sizes.
    let step = 1 + data.first().map_or(0, |&b| usize::from(b) % 61);
    let mut trickled = Keep::default();
    Decoder::new(Trickle { data, step })
        .run(&mut trickled)
        .expect("reading a slice cannot fail");
    assert_eq!(whole.events, trickled.events, "read size changed the events");
    assert_eq!(whole.warnings, trickled.warnings);

    // Every event re-encodes to a packet that decodes to the same event.
    let mut bytes = Vec::new();
    for ev in &whole.events {
        encode_event(ev, &mut bytes).expect("a decoded event re-encodes");
    }
    let mut again = Keep::default();
    Decoder::new(&bytes[..]).run(&mut again).expect("slice");
    assert_eq!(whole.events, again.events, "round trip changed the events");
    assert!(again.warnings.is_empty(), "re-encoded stream has damage");
});
