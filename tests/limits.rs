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
    encode_event(&event(id.clone(), Some(Status::Success)), &mut chunks).unwrap();
    let peak = export_peak(&chunks);
    // The same attachment in one packet: the output buffers fill alike.
    let mut whole = Vec::new();
    encode_event(&event(id.clone(), Some(Status::InProgress)), &mut whole).unwrap();
    let text: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
    encode_event(&with_log(event(id.clone(), None), "log", text), &mut whole).unwrap();
    encode_event(&event(id, Some(Status::Success)), &mut whole).unwrap();
    let one_chunk = export_peak(&whole);
    assert!(
        peak < one_chunk + 3 * n,
        "{n} one-byte chunks: {peak} (in one chunk {one_chunk}, empty export {empty})"
    );

    // Attachments past 1 MiB are spooled as they arrive: the peak does not
    // grow with their size (32 and 96 MiB alike, far below either).
    let huge_peak = |size: usize| {
        let mut huge = Vec::new();
        let id = "pkg.mod.Test.test_huge".to_owned();
        let block = b"2015-10-05 19:49:04.812 DEBUG a \"line\" of log output\n"
            .iter()
            .copied()
            .cycle()
            .take(size)
            .collect::<Vec<u8>>();
        let template = with_log(event(id.clone(), Some(Status::Success)), "log", Vec::new());
        encode_file_chunks(&template, "log", &block, 64 * 1024, &mut huge).unwrap();
        drop(block);
        export_peak(&huge)
    };
    let size = 32 * MIB;
    let peak = huge_peak(size);
    assert!(
        peak < empty + 12 * MIB,
        "a {size}-byte attachment: peak {peak}"
    );
    let peak_96 = huge_peak(96 * MIB);
    // Three times the attachment, the same bound; what differs between the
    // two is only how full the bounded hand-offs between the threads (four
    // batches of up to 512 KiB, the writers' queues) happen to be.
    assert!(
        peak_96 < empty + 12 * MIB && peak_96 < peak + 4 * MIB,
        "96 MiB attachment: peak {peak_96}; 32 MiB: {peak}"
    );

    // Finished tests: each distinct name is stored once, plus a few dozen
    // bytes of slots and tree leaf (and the tree's nodes while it is
    // written). Measured as the growth from 20,000 to 40,000 tests.
    let finished = |n: usize| {
        let mut s = Vec::new();
        for i in 0..n {
            let id = format!("pkg.mod{}.Test{}.test_{i:07}", i % 7, i % 101);
            encode_event(&event(id.clone(), Some(Status::InProgress)), &mut s).unwrap();
            encode_event(&event(id, Some(Status::Success)), &mut s).unwrap();
        }
        export_peak(&s)
    };
    let (small, large) = (finished(20_000), finished(40_000));
    let name_bytes = "pkg.mod0.Test0.test_0000000".len();
    let per_finished = (large - small) / 20_000;
    assert!(
        per_finished <= name_bytes + 300,
        "{per_finished} bytes per finished test ({name_bytes} of them its name)"
    );
    // v1 global tags apply to every later test: the tests share one set,
    // so 200 tests with 20,000 global tags cost about what 20 do.
    let global_tags = |tests: usize| {
        let mut s = b"tags:".to_vec();
        for k in 0..20_000 {
            s.extend_from_slice(format!(" global-tag-{k:05}").as_bytes());
        }
        s.push(b'\n');
        for i in 0..tests {
            s.extend_from_slice(format!("test: a.T.test_{i}\nsuccess: a.T.test_{i}\n").as_bytes());
        }
        export_peak(&s)
    };
    let (tags_20, tags_200) = (global_tags(20), global_tags(200));
    assert!(
        tags_200 < tags_20 + 2 * MIB,
        "20,000 global tags: 200 tests peak {tags_200} B, 20 tests {tags_20} B"
    );
    eprintln!(
        "peak allocation: empty export {empty} B; per unfinished test {per_test} B; \
         {n} one-byte chunks {peak_chunks} B; 32 MiB attachment {peak} B; \
         96 MiB attachment {peak_96} B; per finished test {per_finished} B; \
         20,000 global tags: 20 tests {tags_20} B, 200 tests {tags_200} B",
        peak_chunks = export_peak(&chunks),
    );
}
