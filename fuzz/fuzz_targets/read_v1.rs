//! The subunit v1 reader over arbitrary bytes, through record assembly to
//! output entries: no panic, no hang, and only sane events.
#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use stackviz_export::{Event, EventSink, Warning};
use stackviz_export::{Assembler, Entry, Record};

struct Check<S> {
    inner: S,
    events: usize,
}

impl<S: EventSink> EventSink for Check<S> {
    fn event(&mut self, ev: Event<'_>) -> stackviz_export::Result<()> {
        // v1 is text: a NUL in a test id is legitimate (JSON escapes it),
        // but v1 never carries route codes, which record keys rely on.
        assert!(ev.route.is_none(), "a v1 event with a route code");
        self.events += 1;
        self.inner.event(ev)
    }
    fn warning(&mut self, w: Warning) {
        self.inner.warning(w)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut entries = 0usize;
    let asm = Assembler::new(|rec: Record| {
        let e = Entry::from_record(rec);
        assert!(e.duration.is_finite());
        entries += 1;
        Ok(())
    });
    let mut sink = Check {
        inner: asm,
        events: 0,
    };
    // A small buffer so lines cross buffer boundaries.
    let mut reader = BufReader::with_capacity(64, data);
    let _ = stackviz_export::read_v1(&mut reader, &mut sink);
    let Check { inner, events } = sink;
    let _ = inner.finish();
    assert!(entries <= events, "more records than events");
});
