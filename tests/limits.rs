//! Memory on adversarial input, measured with a counting allocator: no
//! length field drives an allocation beyond what was read, and what stays in
//! memory is proportional to the data kept. One test function, so the
//! measurements do not overlap.

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use stackviz_export::testkit::encode::{
    encode_event, encode_file_chunks, write_packet, write_varint,
};
use stackviz_export::Decoder;
use stackviz_export::{export, Collect, FormatKind, Options};
use stackviz_export::{Event, EventSink, FileChunk, Status, Timestamp, Warning};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; only
// the sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grew(new_size);
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak bytes allocated while `f` runs, above what was allocated before.
fn peak_during(f: impl FnOnce()) -> usize {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - base
}

const MIB: usize = 1 << 20;

struct Count(usize);

impl EventSink for Count {
    fn event(&mut self, _: Event<'_>) -> stackviz_export::Result<()> {
        self.0 += 1;
        Ok(())
    }
    fn warning(&mut self, _: Warning) {}
}

fn decode_peak(bytes: &[u8]) -> (usize, usize) {
    let mut events = 0;
    let peak = peak_during(|| {
        let mut sink = Count(0);
        Decoder::new(bytes).run(&mut sink).unwrap();
        events = sink.0;
    });
    (peak, events)
}

fn event(id: String, status: Option<Status>) -> Event<'static> {
    Event {
        status,
        timestamp: Some(Timestamp {
            secs: 1_444_074_544,
            nanos: 0,
        }),
        test_id: Some(Cow::Owned(id)),
        ..Event::default()
    }
}

fn with_log(mut ev: Event<'static>, name: &str, bytes: Vec<u8>) -> Event<'static> {
    ev.mime = Some(Cow::Borrowed("text/plain; charset=utf8"));
    ev.file = Some(FileChunk {
        name: Cow::Owned(name.to_owned()),
        bytes: Cow::Owned(bytes),
        eof: false,
    });
    ev
}

/// Peak while exporting `bytes` (tempest format) through the library.
fn export_peak(bytes: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("s.subunit");
    std::fs::write(&input, bytes).unwrap();
    let opts = Options {
        dest: dir.path().join("out"),
        files: vec![input],
        format: FormatKind::Tempest,
        ..Options::default()
    };
    peak_during(|| {
        export(&opts, &mut Collect::default()).unwrap();
    })
}

#[test]
fn memory_follows_the_data_not_the_length_fields() {
    // The decoder reads in 1 MiB chunks: that much is allocated anyway.
    let (idle, _) = decode_peak(&[0u8; 100]);
    assert!(idle <= 2 * MIB, "idle decoder: {idle}");

    // A header claiming the largest packet, with 100 bytes behind it.
    let mut claim = vec![0xB3, 0x20, 0x00, 0xBF, 0xFF, 0xFF];
    claim.resize(106, b'x');
    let (peak, events) = decode_peak(&claim);
    assert_eq!(events, 2, "the parser's report of the short packet");
    assert!(peak <= idle + 64 * 1024, "claimed 4 MiB: {peak} vs {idle}");

    // A tag count of 2^30 - 1 in a 10-byte packet.
    let mut body = Vec::new();
    write_varint((1 << 30) - 1, &mut body);
    body.extend_from_slice(&[1, b'a']);
    let mut tags = Vec::new();
    write_packet(0x2000 | 0x0080, &body, &mut tags).unwrap();
    let (peak, events) = decode_peak(&tags);
    assert_eq!(events, 2);
    assert!(peak <= idle + 64 * 1024, "claimed 2^30 tags: {peak}");

    // A file length of 2^30 - 1 with one byte behind it.
    let mut body = Vec::new();
    body.extend_from_slice(&[3, b'l', b'o', b'g']);
    write_varint((1 << 30) - 1, &mut body);
    body.push(b'x');
    let mut file = Vec::new();
    write_packet(0x2000 | 0x0040, &body, &mut file).unwrap();
    let (peak, _) = decode_peak(&file);
    assert!(peak <= idle + 64 * 1024, "claimed a 1 GiB file: {peak}");

    // Ten thousand tests that never finish, each with a small log: what is
    // held per test must stay near its data.
    let mut unfinished = Vec::new();
    for i in 0..10_000 {
        let id = format!("pkg.mod.Test.test_{i:06}");
        encode_event(
            &event(id.clone(), Some(Status::InProgress)),
            &mut unfinished,
        )
        .unwrap();
        let log = with_log(
            event(id, None),
            "log",
            format!("started {i}\n").into_bytes(),
        );
        encode_event(&log, &mut unfinished).unwrap();
    }
    let empty = export_peak(&[]);
    let peak = export_peak(&unfinished);
    let per_test = (peak - empty) / 10_000;
    assert!(per_test < 2048, "{per_test} bytes per unfinished test");

    // Many tiny chunks of one attachment cost the attachment, not the
    // packets: its bytes (up to twice over while the vector grows), its
    // text, and its JSON.
    let mut chunks = Vec::new();
    let id = "pkg.mod.Test.test_chunks".to_owned();
    encode_event(&event(id.clone(), Some(Status::InProgress)), &mut chunks).unwrap();
    let n = 200_000;
    for i in 0..n {
        let ev = with_log(event(id.clone(), None), "log", vec![b'a' + (i % 26) as u8]);
        encode_event(&ev, &mut chunks).unwrap();
    }
    encode_event(&event(id, Some(Status::Success)), &mut chunks).unwrap();
    let peak = export_peak(&chunks);
    assert!(
        peak < empty + 6 * n,
        "{n} one-byte chunks: {peak} (empty export {empty})"
    );

    // One 32 MiB attachment over 512 packets is held until its test
    // finishes, then decoded to text once. At the peak: the growing vector
    // (old and doubled buffer during the last reallocation) and then the
    // text next to its serialised JSON; never more than a few times the data.
    let size = 32 * MIB;
    let mut huge = Vec::new();
    let id = "pkg.mod.Test.test_huge".to_owned();
    let block = b"2015-10-05 19:49:04.812 DEBUG a line of log output\n"
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect::<Vec<u8>>();
    let template = with_log(event(id.clone(), Some(Status::Success)), "log", Vec::new());
    encode_file_chunks(&template, "log", &block, 64 * 1024, &mut huge).unwrap();
    drop(block);
    let peak = export_peak(&huge);
    assert!(
        peak < empty + 5 * size,
        "a {size}-byte attachment: peak {peak}"
    );
    eprintln!(
        "peak allocation: empty export {empty} B; per unfinished test {per_test} B; \
         {n} one-byte chunks {peak_chunks} B; 32 MiB attachment {peak} B",
        peak_chunks = export_peak(&chunks),
    );
}
