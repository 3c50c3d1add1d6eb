//! Writes a tempest-like subunit v2 stream for benchmarks, the same shape as
//! `shared/bench/gen.py` but without needing Python.
//!
//! ```text
//! cargo run --release --example gen_stream -- --tests 9700 --workers 6 --seed 2 -o M.subunit
//! cargo run --release --example gen_stream -- --size-mb 200 -o - | stackviz-export -i out/
//! ```
//!
//! Shape: test ids like `tempest.api.compute.servers.test_servers.
//! ServersTestJSON.test_create_server[id-<uuid>,smoke]`, grouped by class
//! and dealt to workers in runs of 7. Per test: an `inprogress` packet, then
//! for tests that ran a `pythonlogging:''` log attachment (probability
//! `--log-prob`, 0.5–20 KiB log-uniform), a `traceback` for failures, a
//! `reason` for skips, then the final status. Every packet carries the
//! worker's `worker-N` tag and route code `N`; workers' packets are merged by
//! time. Attachments hold about 89% of the bytes. Identical for a given seed;
//! the timeline does not depend on `--no-attachments`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use stackviz_export::testkit::encode::{encode_event, encode_file_chunks, FILE_CHUNK_SIZE};
use stackviz_export::{Event, Status, Timestamp};

#[derive(Parser, Debug, Clone)]
#[command(about = "Generate a tempest-like subunit v2 stream")]
#[command(group(clap::ArgGroup::new("amount").required(true).args(["tests", "size_mb"])))]
struct Args {
    /// Number of tests.
    #[arg(long)]
    tests: Option<usize>,
    /// Pick the number of tests to make the stream about this many MB (10^6 bytes).
    #[arg(long)]
    size_mb: Option<f64>,
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..))]
    workers: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Same tests, statuses and timestamps, but no attachment packets.
    #[arg(long)]
    no_attachments: bool,
    #[arg(long, default_value_t = 0.9)]
    log_prob: f64,
    /// Every log attachment this many bytes (instead of 0.5–20 KiB).
    #[arg(long)]
    log_bytes: Option<usize>,
    #[arg(long, default_value_t = 0.05)]
    fail_rate: f64,
    #[arg(long, default_value_t = 0.05)]
    skip_rate: f64,
    /// Attachments larger than this are split over several packets.
    #[arg(long, default_value_t = FILE_CHUNK_SIZE)]
    chunk_size: usize,
    /// Output file, or `-` for standard output.
    #[arg(short, long)]
    output: PathBuf,
}

/// The seeded generator with the draws the synthetic data needs.
struct Rng(StdRng);

impl Rng {
    /// One independent sequence per (`seed`, `stream`).
    fn new(seed: u64, stream: u64) -> Rng {
        Rng(StdRng::seed_from_u64(
            seed ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93),
        ))
    }

    fn next_u64(&mut self) -> u64 {
        self.0.random()
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        self.0.random()
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.0.random_range(lo..=hi)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }

    fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        // Box–Muller; 1 - f64() avoids ln(0).
        let n =
            (-2.0 * (1.0 - self.f64()).ln()).sqrt() * (std::f64::consts::TAU * self.f64()).cos();
        (mu + sigma * n).exp()
    }

    fn uuid(&mut self, s: &mut String) {
        let (a, b) = (self.next_u64(), self.next_u64());
        let _ = write!(
            s,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        );
    }

    fn hex(&mut self, s: &mut String, digits: usize) {
        for _ in 0..digits / 16 {
            let _ = write!(s, "{:016x}", self.next_u64());
        }
        let rest = digits % 16;
        if rest > 0 {
            let _ = write!(s, "{:0rest$x}", self.next_u64() >> (64 - 4 * rest));
        }
    }
}

#[rustfmt::skip]
const SERVICES: &[(&str, &[&str])] = &[
    ("compute", &[
        "servers", "flavors", "images", "keypairs", "volumes", "floating_ips", "security_groups",
        "limits", "hosts", "aggregates", "hypervisor", "migrations", "quotas", "server_groups",
        "availability_zone", "certificates",
    ]),
    ("network", &[
        "networks", "ports", "routers", "subnetpools", "security_groups", "floating_ips", "agents",
        "extensions", "quotas", "dhcp", "allowed_address_pair", "extra_dhcp_options", "metering",
    ]),
    ("image", &[
        "images", "image_members", "namespaces", "tags", "schemas", "resource_types", "import",
        "stores", "versions",
    ]),
    ("identity", &[
        "users", "projects", "roles", "domains", "groups", "tokens", "credentials", "endpoints",
        "services", "policies", "trusts", "regions", "application_credentials",
    ]),
    ("volume", &[
        "volumes", "snapshots", "backups", "volume_types", "qos", "transfers", "extensions",
        "availability_zone", "encryption", "multi_backend", "group_snapshots", "manage",
    ]),
    ("object_storage", &[
        "container", "object", "account", "healthcheck", "crossdomain", "object_expiry",
        "object_version", "container_acl", "container_quotas", "bulk",
    ]),
    ("orchestration", &[
        "stacks", "resources", "templates", "nova_keypair", "swift_resources", "environment",
    ]),
    ("scenario", &[
        "network_basic_ops", "server_basic_ops", "volume_boot_pattern", "minimum_basic",
        "snapshot_pattern", "security_groups_basic_ops", "shelve_instance", "stamp_pattern",
        "server_multinode", "encrypted_cinder_volumes", "network_v6", "object_storage_basic_ops",
    ]),
];

#[rustfmt::skip]
const CLASS_SUFFIX: &[&str] = &[
    "TestJSON", "AdminTestJSON", "NegativeTestJSON", "AdminNegativeTestJSON", "V2TestJSON",
    "RbacTest",
];

#[rustfmt::skip]
const VERBS: &[&str] = &[
    "create", "delete", "list", "show", "update", "get", "rebuild", "resize", "reboot", "attach",
    "detach", "lock", "unlock", "pause", "unpause", "suspend", "resume", "migrate", "set", "unset",
    "add", "remove", "associate", "disassociate", "verify", "check",
];

#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "server", "server_with_admin_password", "port", "network", "subnet", "router", "image",
    "image_member", "volume", "snapshot", "backup", "flavor", "keypair", "security_group",
    "security_group_rule", "floating_ip", "metadata", "metadata_item", "tags", "quota", "user",
    "project", "role", "domain", "group", "token", "endpoint", "credential", "container", "object",
    "stack", "resource", "agent", "aggregate", "host", "hypervisor", "interface", "volume_type",
    "qos_spec", "transfer", "trust", "region", "policy",
];

#[rustfmt::skip]
const QUALIFIERS: &[&str] = &[
    "", "", "", "_with_invalid_id", "_nonexistent", "_by_admin", "_with_details", "_pagination",
    "_filter_by_name", "_in_use", "_empty_name", "_with_ipv6", "_as_non_admin", "_long_name",
    "_twice", "_with_multiple_nics", "_after_reboot",
];

const EXTRA_TAGS: &[&str] = &["compute", "network", "volume", "image"];

const METHODS: &[(&str, u16)] = &[
    ("GET", 200),
    ("GET", 200),
    ("GET", 200),
    ("POST", 202),
    ("PUT", 200),
    ("DELETE", 204),
    ("PATCH", 200),
];

const HOSTS: &[&str] = &["10.0.0.5", "10.208.224.102", "198.72.124.35"];

const RESOURCE_STATUS: &[&str] = &["ACTIVE", "BUILD", "available", "in-use"];

const TB_FRAMES: &[(&str, &str, &str)] = &[
    (
        "/opt/stack/tempest/tempest/api/{svc}/base.py",
        "create_test_server",
        "body = waiters.wait_for_server_status(clients.servers_client, server_id, wait_until)",
    ),
    (
        "/opt/stack/tempest/tempest/common/waiters.py",
        "wait_for_server_status",
        "raise lib_exc.TimeoutException(message)",
    ),
    (
        "/opt/stack/tempest/tempest/lib/common/rest_client.py",
        "get",
        "return self.request('GET', url, extra_headers, headers)",
    ),
    (
        "/opt/stack/tempest/tempest/lib/common/rest_client.py",
        "request",
        "self._error_checker(resp, resp_body)",
    ),
    (
        "/opt/stack/tempest/tempest/lib/common/rest_client.py",
        "_error_checker",
        "raise exceptions.ServerFault(resp_body, resp=resp, message=message)",
    ),
    (
        "/opt/stack/tempest/tempest/lib/services/compute/servers_client.py",
        "show_server",
        "resp, body = self.get('servers/%s' % server_id)",
    ),
    (
        "/usr/lib/python3.10/site-packages/urllib3/connectionpool.py",
        "urlopen",
        "httplib_response = self._make_request(",
    ),
    (
        "/opt/stack/tempest/tempest/lib/common/utils/test_utils.py",
        "call_and_ignore_notfound_exc",
        "return func(*args, **kwargs)",
    ),
    (
        "/opt/stack/tempest/tempest/test.py",
        "setUpClass",
        "raise value.with_traceback(trace)",
    ),
    (
        "/opt/stack/tempest/tempest/common/compute.py",
        "create_test_server",
        "waiters.wait_for_server_status(",
    ),
];

const SKIP_REASONS: &[&str] = &[
    "Cinder volume backup is disabled",
    "Nova Live Migration not available",
    "The public_network_id option must be specified.",
    "IPv6 extended attributes for subnets not available",
    "Skipped until Bug: 1234567 is resolved.",
];
const LOG_MIME: &str = "text/plain; charset=\"utf8\"";
const TRACEBACK_MIME: &str = "text/x-traceback; charset=\"utf8\"; language=\"python\"";
/// 2024-05-01T12:00:00Z
const BASE_SECS: i64 = 1_714_564_800;

struct TestDef {
    id: String,
    svc: &'static str,
    cls: String,
    meth: String,
    status: Status,
}

/// Tempest-like ids, a class's tests contiguous as in tempest's discovery
/// order; names stay unique once the `[...]` suffix is stripped.
fn make_tests(rng: &mut Rng, args: &Args, n: usize) -> Vec<TestDef> {
    let mut seen = HashSet::new();
    let mut tests = Vec::with_capacity(n);
    while tests.len() < n {
        let &(svc, mods) = rng.pick(SERVICES);
        let module = *rng.pick(mods);
        let pkg = if svc == "scenario" {
            "tempest.scenario".to_owned()
        } else {
            let admin = if rng.f64() < 0.3 { ".admin" } else { "" };
            format!("tempest.api.{svc}{admin}.{module}")
        };
        let mut cls: String = module
            .split('_')
            .map(|p| p[..1].to_uppercase() + &p[1..])
            .collect();
        cls.push_str(rng.pick::<&str>(CLASS_SUFFIX));
        let base = format!("{pkg}.test_{module}.{cls}");
        for _ in 0..rng.range(3, 25) {
            let mut meth = format!(
                "test_{}_{}{}",
                rng.pick(VERBS),
                rng.pick(NOUNS),
                rng.pick(QUALIFIERS)
            );
            let mut name = format!("{base}.{meth}");
            let mut k = 2;
            while seen.contains(&name) {
                name = format!("{base}.{meth}_{k}");
                k += 1;
            }
            if k > 2 {
                meth = name[base.len() + 1..].to_owned();
            }
            seen.insert(name.clone());
            let mut uuid = String::from("id-");
            rng.uuid(&mut uuid);
            let mut tags = vec![uuid];
            let r = rng.f64();
            if r < 0.25 {
                tags.push("smoke".into());
            } else if r < 0.35 {
                tags.push("slow".into());
            }
            if rng.f64() < 0.15 {
                tags.push((*rng.pick(EXTRA_TAGS)).into());
            }
            tags.sort();
            tests.push(TestDef {
                id: format!("{name}[{}]", tags.join(",")),
                svc,
                cls: cls.clone(),
                meth,
                status: Status::Success,
            });
            if tests.len() >= n {
                break;
            }
        }
    }
    for t in &mut tests {
        let r = rng.f64();
        t.status = if r < args.fail_rate {
            Status::Fail
        } else if r < args.fail_rate + args.skip_rate {
            Status::Skip
        } else {
            Status::Success
        };
    }
    tests
}

fn timestamp(us: i64) -> Timestamp {
    Timestamp {
        secs: us.div_euclid(1_000_000),
        nanos: us.rem_euclid(1_000_000) as u32 * 1000,
    }
}

/// Appends `fmt` (a chrono strftime pattern) of the UTC time `us`.
fn fmt_time(s: &mut String, us: i64, fmt: &str) {
    let t = chrono::DateTime::from_timestamp_micros(us).expect("time in range");
    let _ = write!(s, "{}", t.format(fmt));
}

/// tempest rest_client style log text of about `size` bytes, cut at a line
/// end.
fn log_blob(rng: &mut Rng, size: usize, test: &TestDef, start_us: i64, s: &mut String) {
    s.clear();
    let mut t = start_us;
    let pid = rng.range(1000, 99999);
    let host = rng.pick(HOSTS);
    let (svc, cls, meth) = (test.svc, &test.cls, &test.meth);
    let path = match svc {
        "compute" | "scenario" => "compute/v2.1",
        "network" => "network/v2.0",
        "image" => "image/v2",
        "identity" => "identity/v3",
        "volume" => "volume/v3",
        "object_storage" => "object-storage/v1",
        _ => "heat-api/v1",
    };
    let kind = svc.trim_end_matches('s');
    let mut url = String::new();
    let mut req = String::new();
    let mut obj = String::new();
    let mut stamp = String::new();
    while s.len() < size {
        t += rng.range(1, 900) as i64 * 1000;
        stamp.clear();
        fmt_time(&mut stamp, t, "%Y-%m-%d %H:%M:%S,%3f");
        req.clear();
        req.push_str("req-");
        rng.uuid(&mut req);
        let &(method, code) = rng.pick(METHODS);
        obj.clear();
        rng.uuid(&mut obj);
        url.clear();
        let _ = write!(url, "https://{host}/{path}/{kind}s/{obj}");
        let _ = writeln!(
            s,
            "{stamp} {pid} INFO tempest.lib.common.rest_client [{req} {req}] Request \
             ({cls}:{meth}): {code} {method} {url} {:.3}s",
            rng.f64() * 2.0
        );
        let _ = writeln!(
            s,
            "{stamp} {pid} DEBUG tempest.lib.common.rest_client [{req} {req}] Request - \
             Headers: {{'Content-Type': 'application/json', 'Accept': 'application/json', \
             'X-Auth-Token': '<omitted>'}}"
        );
        if matches!(method, "GET" | "DELETE") {
            s.push_str("        Body: None\n");
        } else {
            let _ = writeln!(
                s,
                "        Body: {{\"{svc}\": {{\"name\": \"tempest-{cls}-{}\", \"id\": \"{obj}\"}}}}",
                rng.range(1, 1_000_000_000)
            );
        }
        s.push_str("    Response - Headers: {'date': '");
        fmt_time(s, t, "%a, %d %b %Y %H:%M:%S");
        let _ = writeln!(
            s,
            " GMT', 'server': 'Apache/2.4.52 (Ubuntu)', 'content-length': '{}', \
             'content-type': 'application/json', 'x-openstack-request-id': '{req}', \
             'connection': 'close', 'status': '{code}', 'content-location': '{url}'}}",
            rng.range(0, 4000)
        );
        let _ = write!(
            s,
            "        Body: b'{{\"{svc}\": {{\"id\": \"{obj}\", \"status\": \"{}\", \"updated\": \"",
            rng.pick(RESOURCE_STATUS)
        );
        fmt_time(s, t, "%Y-%m-%dT%H:%M:%SZ");
        s.push_str("\", \"tenant_id\": \"");
        rng.hex(s, 32);
        s.push_str("\", \"hostId\": \"");
        rng.hex(s, 56);
        let _ = writeln!(
            s,
            "\", \"links\": [{{\"rel\": \"self\", \"href\": \"{url}\"}}]}}}}'"
        );
    }
    if s.len() > size {
        match s[..size].rfind('\n') {
            Some(cut) if cut > 0 => s.truncate(cut + 1),
            _ => s.truncate(size),
        }
    }
}

fn traceback_blob(rng: &mut Rng, test: &TestDef, s: &mut String) {
    s.clear();
    let (svc, cls, meth) = (test.svc, &test.cls, &test.meth);
    let _ = writeln!(
        s,
        "Traceback (most recent call last):\n  File \"/opt/stack/tempest/tempest/api/{svc}/test_x.py\", \
         line {}, in {meth}\n    self.assertEqual(200, resp.status)",
        rng.range(20, 900)
    );
    for _ in 0..13 {
        let &(file, func, code) = rng.pick(TB_FRAMES);
        let _ = writeln!(
            s,
            "  File \"{}\", line {}, in {func}\n    {code}",
            file.replace("{svc}", svc),
            rng.range(20, 1200)
        );
    }
    let mut u = String::new();
    rng.uuid(&mut u);
    let (exc, detail) = match rng.range(0, 4) {
        0 => (
            "tempest.lib.exceptions.TimeoutException: Request timed out".to_owned(),
            format!(
                "Details: ({cls}:{meth}) Server {u} failed to reach ACTIVE status and task \
                 state \"None\" within the required time (196 s). Current status: BUILD. \
                 Current task state: spawning."
            ),
        ),
        1 => (
            "tempest.lib.exceptions.ServerFault: Got server fault".to_owned(),
            "Details: Unexpected API Error. Please report this at \
             http://bugs.launchpad.net/nova/ and attach the Nova API log if possible."
                .to_owned(),
        ),
        2 => (
            "tempest.lib.exceptions.NotFound: Object not found".to_owned(),
            format!("Details: {{'code': 404, 'message': 'Port {u} could not be found.'}}"),
        ),
        3 => (
            "testtools.matchers._impl.MismatchError: 404 != 200".to_owned(),
            String::new(),
        ),
        _ => (
            format!("AssertionError: False is not true : Volume {u} is still attached"),
            String::new(),
        ),
    };
    let _ = writeln!(s, "{exc}\n{detail}");
}

/// One packet waiting to be merged into the stream.
struct Pending {
    /// Merged by time, ties by worker id, then queue order (as gen.py).
    time_us: i64,
    test: usize,
    status: Option<Status>,
    attachment: Option<(&'static str, &'static str, Vec<u8>)>,
}

/// A worker's timeline, produced one test at a time. `timeline` drives
/// times and `content` attachment text, so `--no-attachments` keeps the
/// same timeline.
struct Worker {
    id: u32,
    tag: String,
    route: String,
    tests: Vec<usize>,
    next_test: usize,
    now_us: i64,
    timeline: Rng,
    content: Rng,
    queue: std::collections::VecDeque<Pending>,
}

impl Worker {
    fn refill(&mut self, all: &[TestDef], args: &Args, text: &mut String) {
        if !self.queue.is_empty() || self.next_test >= self.tests.len() {
            return;
        }
        let idx = self.tests[self.next_test];
        self.next_test += 1;
        let test = &all[idx];
        let start = self.now_us;
        self.queue.push_back(Pending {
            time_us: start,
            test: idx,
            status: Some(Status::InProgress),
            attachment: None,
        });
        let r = &mut self.timeline;
        let secs = match test.status {
            Status::Skip => r.uniform(0.0005, 0.05),
            Status::Fail => r.lognormal(5f64.ln(), 1.2).min(600.0),
            _ => r.lognormal(1.5f64.ln(), 1.0).min(300.0),
        };
        let end = start + (secs * 1e6).round() as i64;
        if !args.no_attachments {
            let c = &mut self.content;
            let mut push = |name, mime, bytes: Vec<u8>| {
                self.queue.push_back(Pending {
                    time_us: end,
                    test: idx,
                    status: None,
                    attachment: Some((name, mime, bytes)),
                });
            };
            if test.status != Status::Skip && c.f64() < args.log_prob {
                let drawn = c.uniform(512f64.ln(), 20480f64.ln()).exp() as usize;
                let size = args.log_bytes.unwrap_or(drawn);
                log_blob(c, size, test, start, text);
                push("pythonlogging:''", LOG_MIME, text.as_bytes().to_vec());
            }
            if test.status == Status::Fail {
                traceback_blob(c, test, text);
                push("traceback", TRACEBACK_MIME, text.as_bytes().to_vec());
            }
            if test.status == Status::Skip {
                push("reason", LOG_MIME, c.pick(SKIP_REASONS).as_bytes().to_vec());
            }
        }
        self.queue.push_back(Pending {
            time_us: end,
            test: idx,
            status: Some(test.status),
            attachment: None,
        });
        self.now_us = end + (self.timeline.uniform(1.0, 25.0) * 1000.0).round() as i64;
    }
}

#[derive(Default, serde::Serialize)]
struct Stats {
    tests: usize,
    workers: u32,
    seed: u64,
    attachments: bool,
    packets: u64,
    attachment_packets: u64,
    attachment_bytes: u64,
    status: StatusCounts,
    bytes: u64,
    seconds: f64,
}

#[derive(Default, serde::Serialize)]
struct StatusCounts {
    success: usize,
    fail: usize,
    skip: usize,
}

fn generate(args: &Args, n_tests: usize, out: &mut dyn Write) -> io::Result<Stats> {
    let mut rng = Rng::new(args.seed, 0);
    let tests = make_tests(&mut rng, args, n_tests);
    let mut stats = Stats {
        tests: n_tests,
        workers: args.workers,
        seed: args.seed,
        attachments: !args.no_attachments,
        ..Stats::default()
    };
    for t in &tests {
        match t.status {
            Status::Fail => stats.status.fail += 1,
            Status::Skip => stats.status.skip += 1,
            _ => stats.status.success += 1,
        }
    }
    // stestr-like scheduling: contiguous runs of 7 tests, round robin.
    let mut workers: Vec<Worker> = (0..args.workers)
        .map(|w| Worker {
            id: w,
            tag: format!("worker-{w}"),
            route: w.to_string(),
            tests: Vec::new(),
            next_test: 0,
            now_us: BASE_SECS * 1_000_000 + 37_000 * i64::from(w),
            timeline: Rng::new(args.seed, 1000 + u64::from(w)),
            content: Rng::new(args.seed, 1_000_000 + u64::from(w)),
            queue: Default::default(),
        })
        .collect();
    for i in 0..tests.len() {
        workers[(i / 7) % args.workers as usize].tests.push(i);
    }

    let mut text = String::new();
    let mut buf = Vec::with_capacity(1 << 16);
    loop {
        for w in &mut workers {
            w.refill(&tests, args, &mut text);
        }
        // Workers are few; a linear scan beats a heap here.
        let Some(w) = workers
            .iter_mut()
            .filter(|w| !w.queue.is_empty())
            .min_by_key(|w| (w.queue[0].time_us, w.id))
        else {
            break;
        };
        let p = w.queue.pop_front().expect("non-empty");
        let test = &tests[p.test];
        let ev = Event {
            status: p.status,
            timestamp: Some(timestamp(p.time_us)),
            test_id: Some(Cow::Borrowed(&test.id)),
            tags: Some(vec![Cow::Borrowed(&w.tag)]),
            mime: None,
            file: None,
            route: Some(Cow::Borrowed(&w.route)),
            runnable: true,
        };
        buf.clear();
        let result = match &p.attachment {
            Some((name, mime, bytes)) => {
                let ev = Event {
                    mime: Some(Cow::Borrowed(mime)),
                    ..ev
                };
                stats.attachment_bytes += bytes.len() as u64;
                encode_file_chunks(&ev, name, bytes, args.chunk_size, &mut buf).map(|n| {
                    stats.attachment_packets += n as u64;
                    n as u64
                })
            }
            None => encode_event(&ev, &mut buf).map(|()| 1),
        };
        stats.packets += result.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        stats.bytes += buf.len() as u64;
        out.write_all(&buf)?;
    }
    out.flush()?;
    Ok(stats)
}

/// Picks the test count for `--size-mb` from the bytes per test of a
/// smaller sample with the same settings.
fn tests_for_size(args: &Args, mb: f64) -> io::Result<usize> {
    let sample = 3000;
    let stats = generate(args, sample, &mut io::sink())?;
    let per_test = stats.bytes as f64 / sample as f64;
    Ok(((mb * 1e6 / per_test).round() as usize).max(1))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.chunk_size > 0, "--chunk-size must be positive");
    let started = Instant::now();
    let n_tests = match (args.tests, args.size_mb) {
        (Some(n), _) => n,
        (None, Some(mb)) => tests_for_size(&args, mb)?,
        (None, None) => unreachable!("clap requires one"),
    };
    let to_stdout = args.output.as_os_str() == "-";
    let mut stats = if to_stdout {
        let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
        generate(&args, n_tests, &mut out)?
    } else {
        let file = File::create(&args.output)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.output.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        generate(&args, n_tests, &mut out)?
    };
    stats.seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let summary = serde_json::to_string(&stats)?;
    if !to_stdout {
        let mut meta = args.output.clone().into_os_string();
        meta.push(".meta.json");
        std::fs::write(&meta, serde_json::to_string_pretty(&stats)? + "\n")?;
    }
    eprintln!("{summary}");
    Ok(())
}
