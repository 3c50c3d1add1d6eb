//! Hostile and unlucky inputs, end to end through the binary: damaged
//! packets after stray text, long preambles before the first packet, commits
//! that fail part way, concurrent exports, signals, planted symlinks,
//! untrusted text in messages, deep test ids and odd DEST paths. Each test
//! says which guarantee of the README's "Robustness" section it checks.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

const EXE: &str = env!("CARGO_BIN_EXE_stackviz-export");

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance")
        .join(rel)
}

fn exporter() -> Command {
    let mut c = Command::cargo_bin("stackviz-export").unwrap();
    c.timeout(Duration::from_secs(120));
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

// ---- a small subunit v2 encoder, written from the protocol description ----

const SIG: u8 = 0xB3;
const INPROGRESS: u8 = 2;
const SUCCESS: u8 = 3;
const FAIL: u8 = 6;

fn varint(v: u32, out: &mut Vec<u8>) {
    if v < 1 << 6 {
        out.push(v as u8);
    } else if v < 1 << 14 {
        out.extend_from_slice(&[0x40 | (v >> 8) as u8, v as u8]);
    } else if v < 1 << 22 {
        out.extend_from_slice(&[0x80 | (v >> 16) as u8, (v >> 8) as u8, v as u8]);
    } else {
        out.extend_from_slice(&[
            0xC0 | (v >> 24) as u8,
            (v >> 16) as u8,
            (v >> 8) as u8,
            v as u8,
        ]);
    }
}

/// One packet for `id` with `status` and, when given, a timestamp.
fn packet(id: &str, status: u8, secs: Option<u32>) -> Vec<u8> {
    let mut body = Vec::new();
    let mut flags: u16 = 0x2000 | 0x0800 | u16::from(status);
    if let Some(s) = secs {
        flags |= 0x0200;
        body.extend_from_slice(&s.to_be_bytes());
        varint(0, &mut body);
    }
    varint(id.len() as u32, &mut body);
    body.extend_from_slice(id.as_bytes());
    let mut total = 1 + 2 + body.len() + 4;
    total += if total + 1 < 1 << 6 {
        1
    } else if total + 2 < 1 << 14 {
        2
    } else {
        3
    };
    let mut out = vec![SIG];
    out.extend_from_slice(&flags.to_be_bytes());
    varint(total as u32, &mut out);
    out.extend_from_slice(&body);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    assert_eq!(out.len(), total);
    out
}

/// The same packet with a wrong CRC.
fn damaged(mut p: Vec<u8>) -> Vec<u8> {
    let n = p.len();
    p[n - 1] ^= 0x5A;
    p
}

fn join(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// `parts` with `noise` inserted before every part but the first.
fn with_noise(parts: &[Vec<u8>], noise: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(noise);
        }
        out.extend_from_slice(p);
    }
    out
}

/// Exports `bytes` as a file named `name` into a fresh DEST; returns DEST's
/// files (decompressed) and the run's output.
fn export_bytes(
    tmp: &Path,
    tag: &str,
    name: &str,
    bytes: &[u8],
    extra: &[&str],
) -> (common::Snapshot, Output) {
    let src = tmp.join(format!("in-{tag}"));
    fs::create_dir_all(&src).unwrap();
    let file = src.join(name);
    fs::write(&file, bytes).unwrap();
    let dest = tmp.join(format!("out-{tag}"));
    let o = exporter()
        .args(extra)
        .arg("-f")
        .arg(&file)
        .arg(&dest)
        .output()
        .unwrap();
    (common::snapshot(&dest), o)
}

fn raw_of(snap: &common::Snapshot, name: &str) -> Vec<Value> {
    let bytes = snap
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing: {:?}", snap.keys()));
    serde_json::from_slice::<Value>(bytes)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn ids(raw: &[Value]) -> Vec<String> {
    raw.iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

// ---- item 1: damaged packets after text are reported --------------------

/// A stream with damaged packets: two in a row, one between valid packets,
/// and a cut last packet.
fn damaged_stream() -> Vec<Vec<u8>> {
    let cut = packet("pkg.T.test_e", INPROGRESS, Some(1_000_010));
    vec![
        packet("pkg.T.test_a", INPROGRESS, Some(1_000_000)),
        packet("pkg.T.test_a", SUCCESS, Some(1_000_001)),
        damaged(packet("pkg.T.test_b", INPROGRESS, Some(1_000_002))),
        damaged(packet("pkg.T.test_c", INPROGRESS, Some(1_000_003))),
        packet("pkg.T.test_d", INPROGRESS, Some(1_000_004)),
        damaged(packet("pkg.T.test_d", FAIL, Some(1_000_005))),
        packet("pkg.T.test_d", FAIL, Some(1_000_006)),
        cut[..cut.len() - 3].to_vec(),
    ]
}

#[test]
fn every_damaged_packet_gives_a_parser_record() {
    let tmp = tempfile::tempdir().unwrap();
    let (snap, o) = export_bytes(
        tmp.path(),
        "clean",
        "s.subunit",
        &join(&damaged_stream()),
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = raw_of(&snap, "tempest_file_s.subunit_0_raw.json");
    let parser = ids(&raw).iter().filter(|i| *i == "subunit.parser").count();
    // Three bad CRCs (two of them back to back) and the cut packet.
    assert_eq!(parser, 4, "{:?}", ids(&raw));
}

#[test]
fn text_before_damaged_packets_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let parts = damaged_stream();
    let (clean, o) = export_bytes(tmp.path(), "clean", "s.subunit", &join(&parts), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for noise in [&b"noise 1: xxx\n"[..], b"\xc2\xb3 \xff\xfe", b"x"] {
        let (noisy, o) = export_bytes(
            tmp.path(),
            "noisy",
            "s.subunit",
            &with_noise(&parts, noise),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            noisy.keys().collect::<Vec<_>>(),
            clean.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &clean {
            assert_eq!(
                String::from_utf8_lossy(&noisy[name]),
                String::from_utf8_lossy(bytes),
                "{name} differs with noise {noise:?}"
            );
        }
        let err = stderr(&o);
        assert!(err.contains("not subunit packets"), "{err}");
    }
}

#[test]
fn a_signature_byte_inside_a_utf8_character_is_text() {
    // "25 °C³" then bytes that would be a packet header if the 0xB3 of
    // "³" (C2 B3) were taken as a signature.
    let mut bytes = packet("pkg.T.test_a", SUCCESS, Some(1_000_000));
    bytes.extend_from_slice(b"25\xc2\xb0C\xc2\xb3\x2b\x02\x10abcdefghijkl\n");
    bytes.extend_from_slice(&packet("pkg.T.test_b", SUCCESS, Some(1_000_001)));
    let tmp = tempfile::tempdir().unwrap();
    let (snap, o) = export_bytes(tmp.path(), "u", "s.subunit", &bytes, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = raw_of(&snap, "tempest_file_s.subunit_0_raw.json");
    assert_eq!(ids(&raw), ["pkg.T.test_a", "pkg.T.test_b"]);
}

#[test]
fn a_bare_signature_byte_in_text_is_tried_as_a_packet() {
    let mut bytes = packet("pkg.T.test_a", SUCCESS, Some(1_000_000));
    bytes.extend_from_slice(b"log line\n");
    bytes.extend_from_slice(&damaged(packet("pkg.T.test_b", SUCCESS, None)));
    bytes.extend_from_slice(&packet("pkg.T.test_c", SUCCESS, Some(1_000_001)));
    let tmp = tempfile::tempdir().unwrap();
    let (snap, o) = export_bytes(tmp.path(), "b", "s.subunit", &bytes, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = raw_of(&snap, "tempest_file_s.subunit_0_raw.json");
    assert_eq!(
        ids(&raw),
        ["pkg.T.test_a", "subunit.parser", "pkg.T.test_c"]
    );
    let details: Value =
        serde_json::from_slice(&snap["tempest_file_s.subunit_0_details.json"]).unwrap();
    let msg = details["subunit.parser"]["ParserError"]
        .as_str()
        .unwrap_or("");
    assert!(msg.starts_with("Bad checksum"), "{details}");
}

// ---- item 2: no fixed sniffing window -------------------------------------

fn log_preamble(bytes: usize, with_directive_like_line: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < bytes {
        if with_directive_like_line && i == 100 {
            out.extend_from_slice(b"error: could not reach mirror\n");
        }
        out.extend_from_slice(format!("[{i:06}] fetching package {i} from cache\n").as_bytes());
        i += 1;
    }
    out
}

#[test]
fn v2_after_a_long_log_preamble_is_v2() {
    let mut bytes = log_preamble(200 * 1024, true);
    for i in 0..3 {
        bytes.extend_from_slice(&packet(&format!("pkg.T.t{i}"), SUCCESS, Some(1_000_000)));
    }
    let tmp = tempfile::tempdir().unwrap();
    let (snap, o) = export_bytes(tmp.path(), "v2", "s.subunit", &bytes, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = raw_of(&snap, "tempest_file_s.subunit_0_raw.json");
    assert_eq!(ids(&raw), ["pkg.T.t0", "pkg.T.t1", "pkg.T.t2"]);
}

#[test]
fn v1_after_a_long_preamble_is_v1() {
    let mut bytes = log_preamble(200 * 1024, false);
    bytes.extend_from_slice(b"time: 2015-10-05 19:49:04Z\ntest: pkg.T.a\nsuccess: pkg.T.a\n");
    let tmp = tempfile::tempdir().unwrap();
    let (snap, o) = export_bytes(tmp.path(), "v1", "s.subunit", &bytes, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = raw_of(&snap, "tempest_file_s.subunit_0_raw.json");
    assert_eq!(ids(&raw), ["pkg.T.a"]);
}

#[test]
fn a_repository_run_after_a_long_preamble_is_v1() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("proj/.stestr");
    fs::create_dir_all(&repo).unwrap();
    fs::write(repo.join("format"), "1\n").unwrap();
    fs::write(repo.join("next-stream"), "1\n").unwrap();
    let mut run = log_preamble(100 * 1024, false);
    run.extend_from_slice(b"test: pkg.T.a\nsuccess: pkg.T.a\ntest: pkg.T.b\nfailure: pkg.T.b\n");
    fs::write(repo.join("0"), run).unwrap();
    let dest = tmp.path().join("out");
    let o = exporter()
        .arg("-r")
        .arg(tmp.path().join("proj"))
        .arg(&dest)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let snap = common::snapshot(&dest);
    let raw = raw_of(&snap, "tempest_repo_proj_0_raw.json");
    assert_eq!(ids(&raw), ["pkg.T.a", "pkg.T.b"]);
}

// ---- item 20 (and 2): nothing exported is never silent ---------------------

#[test]
fn an_empty_file_warns_no_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, o) = export_bytes(tmp.path(), "e", "empty.subunit", b"", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: ") && err.contains("no tests in") && err.contains("empty.subunit"),
        "{err}"
    );
}

#[test]
fn empty_stdin_warns_no_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let o = exporter()
        .arg("-i")
        .arg(tmp.path().join("out"))
        .write_stdin(Vec::<u8>::new())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("no tests in <stdin>"), "{err}");
}

#[test]
fn text_without_tests_warns_no_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, o) = export_bytes(
        tmp.path(),
        "t",
        "log.txt",
        &log_preamble(100 * 1024, true),
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("no tests in"), "{err}");
}

// ---- items 3, 19: the commit is all or nothing -----------------------------

/// Same basename, different content: the second export replaces every file
/// the first wrote.
fn stream_a(tmp: &Path) -> PathBuf {
    let d = tmp.join("a");
    fs::create_dir_all(&d).unwrap();
    fs::copy(fixture("syn_statuses/s.subunit"), d.join("s.subunit")).unwrap();
    d.join("s.subunit")
}

fn stream_b(tmp: &Path) -> PathBuf {
    let d = tmp.join("b");
    fs::create_dir_all(&d).unwrap();
    fs::copy(
        fixture("real_testtools_c4/testtools.subunit"),
        d.join("s.subunit"),
    )
    .unwrap();
    d.join("s.subunit")
}

fn export_to(stream: &Path, dest: &Path, extra: &[&str]) -> Output {
    exporter()
        .args(extra)
        .arg("-f")
        .arg(stream)
        .arg(dest)
        .output()
        .unwrap()
}

/// Every entry of `dir`, hidden ones included, with file contents.
fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let ft = e.file_type().unwrap();
            if ft.is_file() {
                (name, fs::read(e.path()).unwrap())
            } else if ft.is_dir() {
                let inner: Vec<_> = fs::read_dir(e.path())
                    .unwrap()
                    .map(|x| x.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                (format!("{name}/"), inner.join(",").into_bytes())
            } else {
                (format!("{name}@"), Vec::new())
            }
        })
        .collect();
    v.sort();
    v
}

fn names(l: &[(String, Vec<u8>)]) -> Vec<&str> {
    l.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn a_failed_rename_of_config_json_restores_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let o = export_to(&stream_a(tmp.path()), &dest, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // config.json cannot be replaced: a directory of that name, not empty.
    fs::remove_file(dest.join("config.json")).unwrap();
    fs::create_dir(dest.join("config.json")).unwrap();
    fs::write(dest.join("config.json/keep"), b"x").unwrap();
    let before = listing(&dest);
    let o = export_to(&stream_b(tmp.path()), &dest, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("config.json"), "{}", stderr(&o));
    let after = listing(&dest);
    assert_eq!(names(&after), names(&before));
    assert!(after == before, "DEST changed by a failed export");
}

#[test]
fn a_failed_rename_of_a_data_file_restores_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let o = export_to(&stream_a(tmp.path()), &dest, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The last data file renamed cannot be replaced.
    let details = dest.join("tempest_file_s.subunit_0_details.json");
    fs::remove_file(&details).unwrap();
    fs::create_dir(&details).unwrap();
    fs::write(details.join("keep"), b"x").unwrap();
    let before = listing(&dest);
    let o = export_to(&stream_b(tmp.path()), &dest, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let after = listing(&dest);
    assert_eq!(names(&after), names(&before));
    assert!(after == before, "DEST changed by a failed export");
}

#[test]
fn a_finished_export_leaves_only_its_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let o = export_to(&stream_a(tmp.path()), &dest, &["-z", "--html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names(&listing(&dest)),
        [
            "config.json",
            "index.html",
            "tempest_file_s.subunit_0_details.json.gz",
            "tempest_file_s.subunit_0_raw.json.gz",
            "tempest_file_s.subunit_0_tree.json.gz",
        ]
    );
}

// ---- item 4: concurrent exports into one DEST -----------------------------

#[test]
fn concurrent_exports_leave_one_complete_export() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (stream_a(tmp.path()), stream_b(tmp.path()));
    let only_a = tmp.path().join("only-a");
    let only_b = tmp.path().join("only-b");
    assert!(export_to(&a, &only_a, &[]).status.success());
    assert!(export_to(&b, &only_b, &[]).status.success());
    let (la, lb) = (listing(&only_a), listing(&only_b));
    assert_ne!(la, lb);
    for round in 0..12 {
        let dest = tmp.path().join(format!("race-{round}"));
        let spawn = |s: &Path| {
            StdCommand::new(EXE)
                .arg("-q")
                .arg("-f")
                .arg(s)
                .arg(&dest)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (pa, pb) = (spawn(&a), spawn(&b));
        let (oa, ob) = (
            pa.wait_with_output().unwrap(),
            pb.wait_with_output().unwrap(),
        );
        assert!(oa.status.success(), "{}", stderr(&oa));
        assert!(ob.status.success(), "{}", stderr(&ob));
        let l = listing(&dest);
        assert!(
            l == la || l == lb,
            "round {round}: a mix of two exports: {:?}",
            names(&l)
        );
    }
}

// ---- item 5: deep test ids --------------------------------------------------

#[test]
fn a_million_dots_in_a_test_id_export() {
    let mut id = String::with_capacity(2_000_001);
    id.push('a');
    for _ in 0..1_000_000 {
        id.push_str(".a");
    }
    let bytes = packet(&id, SUCCESS, Some(1_000_000));
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("deep.subunit");
    fs::write(&src, bytes).unwrap();
    let dest = tmp.path().join("out");
    let o = export_to(&src, &dest, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let tree = fs::read_to_string(dest.join("tempest_file_deep.subunit_0_tree.json")).unwrap();
    assert!(tree.starts_with(r#"{"name":"a","children":[{"name":"a","children":[{"#));
    assert_eq!(tree.matches(r#"{"name":"a""#).count(), 1_000_001);
    assert_eq!(tree.matches('{').count(), tree.matches('}').count());
    assert!(common::temp_files(&dest).is_empty());
}

// ---- item 6: signals and stale temporaries ----------------------------------

/// Enough valid packets to keep an export busy for a moment.
fn busy_stream(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        out.extend_from_slice(&packet(
            &format!("pkg.module.Class.test_{i}"),
            SUCCESS,
            Some(1_000_000 + i as u32),
        ));
    }
    out
}

/// Hidden entries in `dir` (the export's temporaries).
fn hidden(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| {
                let n = e.ok()?.file_name().to_string_lossy().into_owned();
                n.starts_with('.').then_some(n)
            })
            .collect()
        })
        .unwrap_or_default()
}

/// Starts an export reading standard input, feeds it part of a stream and
/// waits until it has temporaries in `dest`.
fn start_midway(dest: &Path) -> Child {
    let mut child = StdCommand::new(EXE)
        .arg("-i")
        .arg(dest)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&busy_stream(3000)).unwrap();
    stdin.flush().unwrap();
    let t0 = Instant::now();
    while hidden(dest).is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no temporaries appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Keep standard input open: the export is mid-stream.
    std::mem::forget(stdin);
    child
}

fn kill(child: &Child, sig: &str) {
    let ok = StdCommand::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn signals_remove_what_the_run_created_and_exit_128_plus_n() {
    for (sig, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let tmp = tempfile::tempdir().unwrap();
        // A DEST this run creates, two levels deep.
        let dest = tmp.path().join("new/out");
        let child = start_midway(&dest);
        kill(&child, sig);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "SIG{sig}: {}", stderr(&o));
        assert!(
            !tmp.path().join("new").exists(),
            "SIG{sig}: created directories left"
        );
        // An existing DEST keeps its earlier export exactly.
        let dest = tmp.path().join("kept");
        let o = export_to(&stream_a(tmp.path()), &dest, &[]);
        assert!(o.status.success());
        let before = listing(&dest);
        let child = start_midway(&dest);
        kill(&child, sig);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "SIG{sig}: {}", stderr(&o));
        assert!(listing(&dest) == before, "SIG{sig}: DEST changed");
    }
}

#[test]
fn temporaries_of_a_killed_run_are_removed_by_the_next() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join(".hidden-user-file"), b"mine").unwrap();
    let mut child = start_midway(&dest);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        hidden(&dest).len() > 1,
        "the killed run left nothing to clean"
    );
    let o = export_to(&stream_a(tmp.path()), &dest, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(hidden(&dest), [".hidden-user-file"]);
    assert!(stderr(&o).contains("removed"), "{}", stderr(&o));
}

// ---- item 7: re-exports remove our earlier outputs only -------------------

#[test]
fn a_re_export_removes_what_the_previous_export_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("notes.txt"), b"the user's").unwrap();
    let o = export_to(&stream_a(tmp.path()), &dest, &["-z", "--html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Another stream, plain files, no report.
    let other = tmp.path().join("other.subunit");
    fs::copy(fixture("syn_statuses/s.subunit"), &other).unwrap();
    let o = export_to(&other, &dest, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names(&listing(&dest)),
        [
            "config.json",
            "notes.txt",
            "tempest_file_other.subunit_0_details.json",
            "tempest_file_other.subunit_0_raw.json",
            "tempest_file_other.subunit_0_tree.json",
        ]
    );
    // The artifacts layout is cleaned up the same way.
    let o = export_to(&stream_a(tmp.path()), &dest, &["--format", "artifacts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = export_to(&other, &dest, &["--format", "artifacts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names(&listing(&dest)),
        [
            "config.json",
            "notes.txt",
            "other.subunit-0-details.json",
            "other.subunit-0-raw.json",
            "other.subunit-0-stats.json",
        ]
    );
}

#[test]
fn files_not_proven_ours_are_never_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("index.html"), b"<html>the user's page</html>").unwrap();
    // A config.json that names files outside DEST and a directory.
    fs::write(dest.join("keep.json"), b"{}").unwrap();
    fs::write(
        dest.join("config.json"),
        br#"{"tempest":[{"raw":"../outside.json","tree":"/etc/passwd","details":"keep.json/.."}]}"#,
    )
    .unwrap();
    fs::write(tmp.path().join("outside.json"), b"{}").unwrap();
    let o = export_to(&stream_a(tmp.path()), &dest, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read(dest.join("index.html")).unwrap(),
        b"<html>the user's page</html>"
    );
    assert!(dest.join("keep.json").exists());
    assert!(tmp.path().join("outside.json").exists());
}

// ---- items 8, 16: temporaries ------------------------------------------------

#[test]
fn a_planted_symlink_is_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    fs::create_dir(&dest).unwrap();
    let victim = tmp.path().join("victim.txt");
    fs::write(&victim, b"precious").unwrap();
    let mut child = StdCommand::new(EXE)
        .arg("-i")
        .arg(&dest)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The temporary names the export would use, planted before it writes.
    let pid = child.id();
    for name in [
        "tempest_stdin_0_raw.json",
        "tempest_stdin_0_tree.json",
        "tempest_stdin_0_details.json",
        "config.json",
    ] {
        for n in 1..=8 {
            let _ = symlink(&victim, dest.join(format!(".{name}.{pid}-{n}.part")));
        }
        let _ = symlink(&victim, dest.join(name));
    }
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&busy_stream(50)).unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    for name in [
        "tempest_stdin_0_raw.json",
        "tempest_stdin_0_tree.json",
        "tempest_stdin_0_details.json",
        "config.json",
    ] {
        let m = fs::symlink_metadata(dest.join(name)).unwrap();
        assert!(m.file_type().is_file(), "{name} is not a regular file");
    }
}

#[test]
fn names_near_the_file_name_limit_export() {
    let tmp = tempfile::tempdir().unwrap();
    // 240 + "-0-details.json" = 255 bytes, the longest name Linux allows.
    let base = format!("{}.subunit", "x".repeat(232));
    assert_eq!(base.len(), 240);
    let src = tmp.path().join(&base);
    fs::copy(fixture("syn_statuses/s.subunit"), &src).unwrap();
    let dest = tmp.path().join("out");
    let o = export_to(&src, &dest, &["--format", "artifacts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dest.join(format!("{base}-0-details.json")).is_file());
}

// ---- item 9: untrusted text in messages ---------------------------------------

/// Every stderr line is short and no line is forged.
fn assert_tidy(err: &str) {
    for line in err.lines() {
        assert!(line.len() <= 1000, "a {}-byte message line", line.len());
    }
    let errors = err
        .lines()
        .filter(|l| l.starts_with("stackviz-export: error:"))
        .count();
    assert!(errors <= 1, "{err}");
    assert!(!err.contains("forged"), "{err}");
}

#[test]
fn a_newline_in_a_path_cannot_forge_message_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp
        .path()
        .join("x\nstackviz-export: error: forged\n\x1b[31mred");
    let o = exporter()
        .arg("-f")
        .arg(&path)
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains('\x1b'), "{err}");
    assert!(err.contains("\\n"), "{err}");
}

#[test]
fn a_huge_next_stream_file_gives_a_short_error() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("proj/.stestr");
    fs::create_dir_all(&repo).unwrap();
    fs::write(repo.join("format"), "1\n").unwrap();
    let mut junk = "forged ".repeat(1_500_000).into_bytes();
    junk.extend_from_slice(b"\nstackviz-export: error: forged\n");
    fs::write(repo.join("next-stream"), junk).unwrap();
    let o = exporter()
        .arg("-r")
        .arg(tmp.path().join("proj"))
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    let err = stderr(&o);
    for line in err.lines() {
        assert!(line.len() <= 1000, "a {}-byte message line", line.len());
    }
    assert_eq!(err.lines().count(), 1, "{}", &err[..err.len().min(300)]);
}

#[test]
fn a_binary_dstat_gives_a_short_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dstat = tmp.path().join("dstat.csv");
    let mut bin: Vec<u8> = (0..2_000_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    bin.retain(|&b| b != b'\n' && b != b'\r' && b != b',' && b != b'"');
    fs::write(&dstat, &bin).unwrap();
    let o = exporter()
        .arg("-f")
        .arg(fixture("syn_statuses/s.subunit"))
        .arg("--dstat")
        .arg(&dstat)
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("will not chart"),
        "{}",
        &err[..err.len().min(300)]
    );
    assert_tidy(&err);
}

// ---- item 15: DEST paths of the wrong kind ---------------------------------

#[test]
fn dest_below_a_regular_file_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("afile"), b"x").unwrap();
    let dest = tmp.path().join("afile/sub");
    let o = export_to(&fixture("syn_statuses/s.subunit"), &dest, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("not a directory"), "{err}");
    assert!(err.contains("afile"), "{err}");
}

#[test]
fn a_dangling_symlink_dest_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    symlink(tmp.path().join("missing/target"), &dest).unwrap();
    let o = export_to(&fixture("syn_statuses/s.subunit"), &dest, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(!err.contains("File exists"), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
}

// ---- items 17, 18: v1 edge cases --------------------------------------------

#[test]
fn v1_times_past_year_9999_are_null_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = b"time: 9999-12-31 23:30:00-05:00\ntest: pkg.T.a\nsuccess: pkg.T.a\n\
time: 2015-10-05 19:49:04Z\ntest: pkg.T.b\nsuccess: pkg.T.b\n";
    let (snap, o) = export_bytes(tmp.path(), "t", "s.subunit", v1, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = raw_of(&snap, "tempest_file_s.subunit_0_raw.json");
    assert_eq!(ids(&raw), ["pkg.T.a", "pkg.T.b"]);
    for e in &raw {
        for t in e["timestamps"].as_array().unwrap() {
            assert!(t.is_null() || t.is_string(), "{e}");
        }
    }
    assert_eq!(raw[0]["timestamps"], serde_json::json!([null, null]));
    assert_eq!(
        raw[1]["timestamps"][0],
        serde_json::json!("2015-10-05T19:49:04+00:00")
    );
    let err = stderr(&o);
    assert!(err.contains("9999-12-31 23:30:00-05:00"), "{err}");
}

#[test]
fn an_overlong_v1_line_is_named_in_the_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let big = format!("pkg.T.big{}", "y".repeat(2 << 20));
    let v1 = format!(
        "test: pkg.T.a\nsuccess: pkg.T.a\ntest: {big}\nsuccess: {big}\ntest: pkg.T.b\nsuccess: pkg.T.b\n"
    );
    let (snap, o) = export_bytes(tmp.path(), "l", "s.subunit", v1.as_bytes(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = raw_of(&snap, "tempest_file_s.subunit_0_raw.json");
    assert_eq!(ids(&raw), ["pkg.T.a", "pkg.T.b"]);
    let err = stderr(&o);
    let size = format!("{} bytes", "test: ".len() + big.len());
    assert!(
        err.contains("test: pkg.T.bigyyy") && err.contains(&size),
        "{err}"
    );
    assert_tidy(&err);
}
