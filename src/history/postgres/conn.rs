//! Connection strings as libpq reads them, within what the client crate
//! supports: the URL, then `PGUSER`, `PGPASSWORD` and the password file
//! (`PGPASSFILE` or `~/.pgpass`), and `sslmode` up to `verify-full`. The
//! password never leaves this module: [`Target::location`] is the URL
//! without it, and [`Target::redact`] scrubs it from any message.

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use postgres::config::{Host, SslMode};
use postgres::Config;
use postgres_openssl::MakeTlsConnector;

/// True for the URLs that select the PostgreSQL backend.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgresql://") || s.starts_with("postgres://")
}

/// A parsed connection string.
pub struct Target {
    pub config: Config,
    pub tls: MakeTlsConnector,
    /// `postgresql://user@host:port/db`, for messages.
    pub location: String,
    secret: Option<String>,
}

impl Target {
    /// Replaces the password, wherever it appears in `message`.
    pub fn redact(&self, message: &str) -> String {
        redact_with(message, self.secret.as_deref())
    }
}

pub(crate) fn redact_with(message: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => message.replace(s, "***"),
        _ => message.to_owned(),
    }
}

/// The URL with its user info reduced to the user name and its query
/// dropped, for messages.
pub fn location_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgresql", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or("");
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    format!("{scheme}://{authority}{path}")
}

/// Parses `url`, filling in what libpq would take from the environment.
pub fn parse(url: &str) -> Result<Target, String> {
    let location = location_of(url);
    // The client crate knows sslmode disable/prefer/require only: take the
    // verifying modes and the root certificate out and apply them here.
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut verify: Option<bool> = None; // Some(check host name)
    let mut root_cert: Option<String> = None;
    let mut kept = Vec::new();
    let mut url_secret = base
        .split_once("://")
        .and_then(|(_, r)| r.split('/').next())
        .and_then(|a| a.rsplit_once('@'))
        .and_then(|(u, _)| u.split_once(':'))
        .map(|(_, p)| p.to_owned());
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (k, v) {
            ("sslmode", "verify-full") => verify = Some(true),
            ("sslmode", "verify-ca") => verify = Some(false),
            ("sslmode", "allow") => kept.push("sslmode=prefer".to_owned()),
            ("sslrootcert", _) => root_cert = Some(v.to_owned()),
            ("password", _) => {
                url_secret = Some(v.to_owned());
                kept.push(pair.to_owned());
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    if verify.is_some() {
        kept.push("sslmode=require".to_owned());
    }
    let rebuilt = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let mut config: Config = rebuilt.parse().map_err(|e: postgres::Error| {
        redact_with(
            &format!("not a valid connection URL ({e})"),
            url_secret.as_deref(),
        )
    })?;
    if config.get_user().is_none() {
        let user = std::env::var("PGUSER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "postgres".to_owned());
        config.user(&user);
    }
    if config.get_password().is_none() {
        if let Some(p) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
            config.password(p);
        } else if let Some(p) = pgpass_lookup(&config) {
            config.password(p);
        }
    }
    let secret = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let tls = tls_connector(verify, root_cert.as_deref())?;
    Ok(Target {
        config,
        tls,
        location,
        secret,
    })
}

fn tls_connector(
    verify: Option<bool>,
    root_cert: Option<&str>,
) -> Result<MakeTlsConnector, String> {
    let mut b =
        SslConnector::builder(SslMethod::tls()).map_err(|e| format!("cannot set up TLS: {e}"))?;
    match verify {
        // require/prefer: encrypted, the certificate is not checked (as libpq
        // does without a root certificate).
        None => b.set_verify(SslVerifyMode::NONE),
        Some(_) => {
            b.set_verify(SslVerifyMode::PEER);
            if let Some(path) = root_cert {
                b.set_ca_file(path)
                    .map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?;
            }
        }
    }
    let mut tls = MakeTlsConnector::new(b.build());
    if verify == Some(false) {
        tls.set_callback(|cfg, _| {
            cfg.set_verify_hostname(false);
            Ok(())
        });
    }
    Ok(tls)
}

/// The host, port, database and user the password file is matched on.
fn pgpass_key(config: &Config) -> (String, String, String, String) {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default().to_owned();
    let db = config.get_dbname().unwrap_or(&user).to_owned();
    (host, port, db, user)
}

fn pgpass_lookup(config: &Config) -> Option<String> {
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let (host, port, db, user) = pgpass_key(config);
    pgpass_find(&text, [&host, &port, &db, &user])
}

/// The first line of a password file whose four fields match (`*` matches
/// anything; `\` escapes `:` and `\`).
pub(crate) fn pgpass_find(text: &str, want: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::with_capacity(5);
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() == 5
            && fields[..4]
                .iter()
                .zip(want)
                .all(|(f, w)| f == "*" || f == w)
        {
            return fields.pop();
        }
    }
    None
}

/// Whether the connection string asks for TLS without fallback.
pub fn requires_tls(config: &Config) -> bool {
    config.get_ssl_mode() == SslMode::Require
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_drops_the_password_and_query() {
        assert_eq!(
            location_of("postgresql://ci:s3cret@db.example:5433/hist?sslmode=require&password=x"),
            "postgresql://ci@db.example:5433/hist"
        );
        assert_eq!(location_of("postgres://db/h"), "postgres://db/h");
    }

    #[test]
    fn pgpass_matches_like_libpq() {
        let text = "# comment\nother:*:*:*:no\ndb\\:x:5432:*:ci:pa\\:ss\n*:*:*:*:fallback\n";
        assert_eq!(
            pgpass_find(text, ["db:x", "5432", "h", "ci"]).as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_find(text, ["db", "5432", "h", "ci"]).as_deref(),
            Some("fallback")
        );
    }

    #[test]
    fn parse_reads_the_password_and_verify_modes() {
        let t = parse("postgresql://ci:s3cret@127.0.0.1:1/h?sslmode=verify-full").unwrap();
        assert_eq!(t.config.get_password(), Some(&b"s3cret"[..]));
        assert!(requires_tls(&t.config));
        assert_eq!(t.redact("auth failed for s3cret"), "auth failed for ***");
        assert_eq!(t.location, "postgresql://ci@127.0.0.1:1/h");
        let e = parse("postgresql://ci:s3cret@h/d?bogus=1").err().unwrap();
        assert!(!e.contains("s3cret"), "{e}");
    }
}
