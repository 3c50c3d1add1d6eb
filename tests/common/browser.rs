//! Headless browsers for the report tests.
//!
//! A test is written once against [`Session`] and runs in every browser
//! [`browsers`] finds: Chromium (required unless `STACKVIZ_SKIP_BROWSER=1`)
//! driven over the DevTools protocol on a pipe, and Firefox (when
//! installed) driven over Marionette. Each test binary starts at most one
//! of each and shares it between its tests; every page is loaded afresh
//! from `file://`. The older [`dom`] (one `chromium --dump-dom` per call)
//! stays for the tests that only need Chromium.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// `STACKVIZ_SKIP_BROWSER=1` limits the report tests to static checks.
pub fn skip_browser() -> bool {
    std::env::var("STACKVIZ_SKIP_BROWSER").is_ok_and(|v| v == "1")
}

/// The first candidate that is a file: `$var`, then the absolute paths,
/// then the names on `PATH`.
fn find(var: &str, absolute: &[&str], names: &[&str]) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os(var)
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend(absolute.iter().map(PathBuf::from));
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            candidates.extend(names.iter().map(|n| dir.join(n)));
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// `$STACKVIZ_CHROMIUM`, `/usr/bin/chromium`, or a Chromium on `PATH`.
pub fn chromium() -> PathBuf {
    find(
        "STACKVIZ_CHROMIUM",
        &["/usr/bin/chromium"],
        &["chromium", "chromium-browser", "google-chrome"],
    )
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

/// `$STACKVIZ_FIREFOX`, Debian's `firefox-esr`, or a Firefox on `PATH`;
/// none under `STACKVIZ_FIREFOX=none`.
pub fn firefox() -> Option<PathBuf> {
    if std::env::var_os("STACKVIZ_FIREFOX").is_some_and(|v| v == "none") {
        return None;
    }
    find(
        "STACKVIZ_FIREFOX",
        &["/usr/bin/firefox-esr", "/usr/bin/firefox"],
        &["firefox-esr", "firefox"],
    )
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

/// Script and style bodies removed: the page's own code quotes the class
/// names tests search for.
fn strip_code(mut dom: String) -> String {
    for (open, close) in [("<script", "</script>"), ("<style", "</style>")] {
        while let Some(a) = dom.find(open) {
            let b = dom[a..]
                .find(close)
                .map_or(dom.len(), |k| a + k + close.len());
            dom.replace_range(a..b, "");
        }
    }
    dom
}

fn file_url(html: &Path, fragment: &str) -> String {
    let mut url = format!("file://{}", html.display());
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

/// The DOM after the page's scripts ran, from one `chromium --dump-dom`,
/// with script and style bodies removed.
pub fn dom(html: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = file_url(html, fragment);
    let out = Command::new(chromium())
        .args(FLAGS)
        .args(["--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", chromium().display()));
    assert!(out.status.success(), "chromium failed on {url}");
    let dom = strip_code(String::from_utf8(out.stdout).unwrap());
    assert!(
        dom.contains("data-ready="),
        "the page did not finish:\n{dom}"
    );
    dom
}

// ------------------------------------------------------------ sessions

/// A browser the report is checked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
}

/// One shared session per engine and test binary, started on first use.
static SESSIONS: [OnceLock<Mutex<Session>>; 2] = [OnceLock::new(), OnceLock::new()];

/// The engines to check in: none under `STACKVIZ_SKIP_BROWSER=1`,
/// Chromium, and Firefox when one is installed. Without Firefox it says
/// so on the terminal (past the test harness's capture), once per binary,
/// and fails under `CI=true` unless `STACKVIZ_FIREFOX=none` asked for that.
pub fn browsers() -> Vec<Engine> {
    static NOTED: OnceLock<()> = OnceLock::new();
    if skip_browser() {
        return Vec::new();
    }
    if firefox().is_some() {
        return vec![Engine::Chromium, Engine::Firefox];
    }
    let opted_out = std::env::var_os("STACKVIZ_FIREFOX").is_some_and(|v| v == "none");
    if !opted_out && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("no Firefox for the report tests; CI must run scripts/setup-test-tools.sh");
    }
    NOTED.get_or_init(|| {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: no Firefox (install firefox-esr or set STACKVIZ_FIREFOX); \
             the report tests run in Chromium only"
        );
    });
    vec![Engine::Chromium]
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
        }
    }

    /// This binary's session of the engine, held until the guard drops.
    /// A test that panicked while holding it leaves it usable: every
    /// [`Session::open`] starts from a fresh page.
    pub fn session(self) -> MutexGuard<'static, Session> {
        let cell = &SESSIONS[self as usize];
        cell.get_or_init(|| Mutex::new(Session::start(self)))
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The DOM of `html#fragment` once its scripts ran, script and style
    /// bodies removed.
    pub fn dom(self, html: &Path, fragment: &str) -> String {
        self.session().dom(html, fragment)
    }
}

/// A running headless browser with one page.
pub struct Session {
    engine: Engine,
    conn: Conn,
}

enum Conn {
    Devtools(Devtools),
    Marionette(Marionette),
}

impl Session {
    fn start(engine: Engine) -> Session {
        let conn = match engine {
            Engine::Chromium => Conn::Devtools(Devtools::start()),
            Engine::Firefox => Conn::Marionette(Marionette::start(
                &firefox().expect("browsers() lists Firefox only when it is installed"),
            )),
        };
        Session { engine, conn }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Loads `html#fragment` as a new document (never a same-page hash
    /// change) and waits until the page says it is ready, then a little
    /// longer for what it draws at the next frame.
    pub fn open(&mut self, html: &Path, fragment: &str) {
        let url = file_url(html, fragment);
        // Shown with the test's output if it fails: which browser it was.
        eprintln!("[{}] {url}", self.engine.name());
        match &mut self.conn {
            Conn::Devtools(d) => {
                d.call("Page.navigate", json!({ "url": "about:blank" }));
                d.call("Page.navigate", json!({ "url": url }));
            }
            Conn::Marionette(m) => {
                m.call("WebDriver:Navigate", json!({ "url": "about:blank" }));
                m.call("WebDriver:Navigate", json!({ "url": url }));
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = self.try_eval("document.documentElement.hasAttribute('data-ready')");
            if ready == Ok(Value::Bool(true)) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "[{}] {url} did not draw itself: {ready:?}",
                self.engine.name()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.eval("new Promise(function (ok) { setTimeout(ok, 250); })");
    }

    /// The DOM of `html#fragment` once its scripts ran, script and style
    /// bodies removed.
    pub fn dom(&mut self, html: &Path, fragment: &str) -> String {
        self.open(html, fragment);
        let dom = self.eval("document.documentElement.outerHTML");
        strip_code(dom.as_str().expect("outerHTML is text").to_owned())
    }

    /// The value of a script expression (a promise is awaited).
    pub fn eval(&mut self, expr: &str) -> Value {
        self.try_eval(expr)
            .unwrap_or_else(|e| panic!("[{}] {expr}: {e}", self.engine.name()))
    }

    fn try_eval(&mut self, expr: &str) -> Result<Value, Value> {
        match &mut self.conn {
            Conn::Devtools(d) => {
                let r = d.try_call(
                    "Runtime.evaluate",
                    json!({ "expression": expr, "awaitPromise": true, "returnByValue": true }),
                )?;
                match r["exceptionDetails"].is_null() {
                    true => Ok(r["result"]["value"].clone()),
                    false => Err(r["exceptionDetails"].clone()),
                }
            }
            Conn::Marionette(m) => {
                let script = format!("return ({expr});");
                let r = m.try_call(
                    "WebDriver:ExecuteScript",
                    json!({ "script": script, "args": [] }),
                )?;
                Ok(r["value"].clone())
            }
        }
    }

    /// Presses and releases one key as typed on a keyboard: a printable
    /// character, or `Escape`.
    pub fn press(&mut self, key: &str) {
        match &mut self.conn {
            Conn::Devtools(d) => d.press(key),
            Conn::Marionette(m) => m.press(key),
        }
    }
}

// ------------------------------------------------------------ Chromium

/// Headless Chromium over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands in on fd 3, replies out on fd 4,
/// each a JSON message ended by a NUL byte). A shell moves the test's
/// pipes onto fds 3 and 4, removes the profile when the browser ends, and
/// `timeout` ends a browser that hangs; Chromium itself ends when the
/// pipe closes, with the test binary.
struct Devtools {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
    next: u64,
    session: Option<String>,
}

impl Devtools {
    fn start() -> Devtools {
        let profile = tempfile::tempdir().unwrap().keep();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(
                r#"p=$1; shift; timeout 1800 "$@" 3<&0 4>&1 </dev/null >/dev/null 2>/dev/null; rm -rf "$p""#,
            )
            .arg("sh")
            .arg(&profile)
            .arg(chromium())
            .args(FLAGS)
            .arg("--remote-debugging-pipe")
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run chromium");
        let to = child.stdin.take().unwrap();
        let from = BufReader::new(child.stdout.take().unwrap());
        let mut dt = Devtools {
            child,
            to,
            from,
            next: 0,
            session: None,
        };
        let target = dt.call("Target.createTarget", json!({ "url": "about:blank" }));
        let target = target["targetId"].as_str().unwrap().to_owned();
        let attached = dt.call(
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
        );
        dt.session = Some(attached["sessionId"].as_str().unwrap().to_owned());
        dt.call("Page.bringToFront", json!({}));
        dt.call(
            "Emulation.setFocusEmulationEnabled",
            json!({ "enabled": true }),
        );
        dt
    }

    /// Sends a command (to the page once attached) and waits for its reply.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|e| panic!("[chromium] {method}: {e}"))
    }

    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next += 1;
        let mut msg = json!({ "id": self.next, "method": method, "params": params });
        if let Some(s) = &self.session {
            msg["sessionId"] = Value::String(s.clone());
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        self.to.flush().unwrap();
        loop {
            let mut buf = Vec::new();
            let n = self.from.read_until(0, &mut buf).unwrap();
            assert!(n > 0, "chromium closed the DevTools pipe during {method}");
            buf.pop();
            let reply: Value = serde_json::from_slice(&buf).unwrap();
            if reply["id"].as_u64() == Some(self.next) {
                return match reply["error"].is_null() {
                    true => Ok(reply["result"].clone()),
                    false => Err(reply["error"].clone()),
                };
            }
        }
    }

    fn press(&mut self, key: &str) {
        let (code, vk, text) = match key {
            "Escape" => ("Escape".to_owned(), 27, ""),
            "/" => ("Slash".to_owned(), 191, "/"),
            k if k.len() == 1 && k.as_bytes()[0].is_ascii_alphabetic() => {
                let up = k.to_ascii_uppercase();
                (format!("Key{up}"), u32::from(up.as_bytes()[0]), k)
            }
            k => panic!("no key code for {k:?}"),
        };
        for kind in ["keyDown", "keyUp"] {
            let mut p = json!({
                "type": kind, "key": key, "code": code, "windowsVirtualKeyCode": vk,
            });
            if kind == "keyDown" && !text.is_empty() {
                p["text"] = Value::String(text.to_owned());
            }
            self.call("Input.dispatchKeyEvent", p);
        }
    }
}

// ------------------------------------------------------------- Firefox

/// Headless Firefox over Marionette: a TCP connection where every message
/// is `<byte length>:<JSON>`; after a greeting, commands are
/// `[0, id, name, params]` and replies `[1, id, error, result]`. The
/// profile asks for port 0, and Firefox writes the port it took to
/// `MarionetteActivePort` in the profile, so tests in parallel binaries do
/// not collide. A shell keeps the browser alive while the test binary
/// holds its stdin, then ends it and removes the profile.
struct Marionette {
    watch: Child,
    _stdin: ChildStdin,
    conn: BufReader<TcpStream>,
    next: u64,
}

/// Prefs for a quiet test profile: the port, and no first-run pages,
/// updates or reports.
const USER_JS: &str = r#"user_pref("marionette.port", 0);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("app.update.disabledForTesting", true);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("network.captive-portal-service.enabled", false);
"#;

impl Marionette {
    fn start(firefox: &Path) -> Marionette {
        let profile = tempfile::tempdir().unwrap().keep();
        std::fs::write(profile.join("user.js"), USER_JS).unwrap();
        let mut watch = Command::new("sh")
            .arg("-c")
            .arg(
                r#"p=$1; shift; timeout 1800 "$@" </dev/null >/dev/null 2>&1 & f=$!; read _; kill $f 2>/dev/null; wait $f; rm -rf "$p""#,
            )
            .arg("sh")
            .arg(&profile)
            .arg(firefox)
            .args(["--headless", "--marionette", "--no-remote", "--profile"])
            .arg(&profile)
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run firefox");
        let stdin = watch.stdin.take().unwrap();
        let port_file = profile.join("MarionetteActivePort");
        let deadline = Instant::now() + Duration::from_secs(60);
        let port: u16 = loop {
            if let Some(p) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                break p;
            }
            assert!(
                Instant::now() < deadline,
                "firefox wrote no {} within 60 s",
                port_file.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to Marionette");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let mut m = Marionette {
            watch,
            _stdin: stdin,
            conn: BufReader::new(stream),
            next: 0,
        };
        let hello = m.read();
        assert_eq!(hello["marionetteProtocol"], 3, "Marionette says {hello}");
        m.call("WebDriver:NewSession", json!({}));
        m.call(
            "WebDriver:SetWindowRect",
            json!({ "x": 0, "y": 0, "width": 1400, "height": 1000 }),
        );
        m
    }

    fn read(&mut self) -> Value {
        let mut len = Vec::new();
        let n = self.conn.read_until(b':', &mut len).unwrap();
        assert!(n > 0, "firefox closed the Marionette connection");
        len.pop();
        let len: usize = std::str::from_utf8(&len).unwrap().parse().unwrap();
        let mut body = vec![0; len];
        self.conn.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn call(&mut self, name: &str, params: Value) -> Value {
        self.try_call(name, params)
            .unwrap_or_else(|e| panic!("[firefox] {name}: {e}"))
    }

    fn try_call(&mut self, name: &str, params: Value) -> Result<Value, Value> {
        self.next += 1;
        let body = serde_json::to_vec(&json!([0, self.next, name, params])).unwrap();
        let stream = self.conn.get_mut();
        stream
            .write_all(format!("{}:", body.len()).as_bytes())
            .unwrap();
        stream.write_all(&body).unwrap();
        loop {
            let reply = self.read();
            if reply[0] == 1 && reply[1].as_u64() == Some(self.next) {
                return match reply[2].is_null() {
                    true => Ok(reply[3].clone()),
                    false => Err(reply[2].clone()),
                };
            }
        }
    }

    fn press(&mut self, key: &str) {
        // WebDriver names keys without a character by code points in the
        // private use area.
        let value = match key {
            "Escape" => "\u{E00C}",
            k if k.chars().count() == 1 => k,
            k => panic!("no key value for {k:?}"),
        };
        let actions = json!([{ "type": "key", "id": "keyboard", "actions": [
            { "type": "keyDown", "value": value },
            { "type": "keyUp", "value": value },
        ]}]);
        self.call("WebDriver:PerformActions", json!({ "actions": actions }));
        self.call("WebDriver:ReleaseActions", json!({}));
    }
}
