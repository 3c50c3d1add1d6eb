//! Test helpers: a fresh database per test on the server named by
//! `STACKVIZ_TEST_PG_URL`, so tests run in parallel.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The server URL, or `None` after printing why the test is skipped. In CI
/// (`CI` set) a missing server is a failure, not a skip.
pub fn server() -> Option<String> {
    match std::env::var("STACKVIZ_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            let ci = std::env::var("CI").map(|v| !v.is_empty() && v != "false");
            assert!(
                !ci.unwrap_or(false),
                "CI has no PostgreSQL: .ci/run must start one (scripts/pg-test-cluster.sh)"
            );
            eprintln!("skipped: no PostgreSQL (set STACKVIZ_TEST_PG_URL)");
            None
        }
    }
}

/// `url` with its database replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{db}{query}", &base[..host_end])
}

/// Creates an empty database with a unique name and returns its URL.
pub fn fresh_database(server: &str, tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "stackviz_{tag}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let mut admin =
        postgres::Client::connect(server, postgres::NoTls).expect("connect to test server");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
    with_database(server, &name)
}
