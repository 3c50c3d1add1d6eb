//! Headless Chromium for the report tests: where it is, the flags every
//! test starts it with, and the DOM a page leaves after its scripts ran.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `STACKVIZ_SKIP_BROWSER=1` limits the report tests to static checks.
pub fn skip_browser() -> bool {
    std::env::var("STACKVIZ_SKIP_BROWSER").is_ok_and(|v| v == "1")
}

/// `$STACKVIZ_CHROMIUM`, `/usr/bin/chromium`, or a Chromium on `PATH`.
pub fn chromium() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::env::var_os("STACKVIZ_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push("/usr/bin/chromium".into());
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                candidates.push(dir.join(name));
            }
        }
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium is needed to render index.html and was not found \
                 (looked for /usr/bin/chromium, $STACKVIZ_CHROMIUM, and chromium, \
                 chromium-browser, google-chrome on PATH). Install it (Debian: \
                 apt-get install chromium) or set STACKVIZ_SKIP_BROWSER=1 to check \
                 the HTML file statically only."
            )
        })
}

/// Headless, no sandbox (tests run as root in CI), and none of the
/// background connections a closed network refuses.
pub const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
];

/// The DOM after the page's scripts ran, with script and style bodies
/// removed (the page's own code quotes the class names tests search for).
pub fn dom(html: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}#{fragment}", html.display());
    let out = Command::new(chromium())
        .args(FLAGS)
        .args(["--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", chromium().display()));
    assert!(out.status.success(), "chromium failed on {url}");
    let mut dom = String::from_utf8(out.stdout).unwrap();
    for (open, close) in [("<script", "</script>"), ("<style", "</style>")] {
        while let Some(a) = dom.find(open) {
            let b = dom[a..]
                .find(close)
                .map_or(dom.len(), |k| a + k + close.len());
            dom.replace_range(a..b, "");
        }
    }
    assert!(
        dom.contains("data-ready="),
        "the page did not finish:\n{dom}"
    );
    dom
}
