//! Checkers for the CI formats, written from the formats' documented
//! rules: the CTRF JSON schema's fields and types, and the Trace Event
//! Format's event rules. They return every problem found, so a failing
//! test names them all.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const CTRF_TEST_KEYS: [&str; 27] = [
    "id",
    "name",
    "status",
    "duration",
    "start",
    "stop",
    "suite",
    "message",
    "trace",
    "snippet",
    "ai",
    "line",
    "rawStatus",
    "tags",
    "labels",
    "type",
    "filePath",
    "retries",
    "retryAttempts",
    "flaky",
    "stdout",
    "stderr",
    "threadId",
    "browser",
    "device",
    "screenshot",
    "attachments",
];
const CTRF_STATUSES: [&str; 5] = ["passed", "failed", "skipped", "pending", "other"];

fn keys_within(v: &Value, allowed: &[&str], at: &str, errs: &mut Vec<String>) {
    match v.as_object() {
        None => errs.push(format!("{at}: not an object")),
        Some(m) => {
            for k in m.keys() {
                if !allowed.contains(&k.as_str()) {
                    errs.push(format!("{at}: property {k} is not allowed"));
                }
            }
        }
    }
}

fn required(v: &Value, keys: &[&str], at: &str, errs: &mut Vec<String>) {
    for k in keys {
        if v.get(k).is_none() {
            errs.push(format!("{at}: {k} is required"));
        }
    }
}

fn typed(v: &Value, key: &str, ty: &str, at: &str, errs: &mut Vec<String>) {
    let Some(x) = v.get(key) else { return };
    let ok = match ty {
        "integer" => x.is_i64() || x.is_u64(),
        "string" => x.is_string(),
        "boolean" => x.is_boolean(),
        "object" => x.is_object(),
        "strings" => x.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        _ => unreachable!(),
    };
    if !ok {
        errs.push(format!("{at}.{key}: not {ty}: {x}"));
    }
}

/// The published CTRF schema's rules, written out: required properties,
/// types, enums, minimums and no properties beyond the listed ones.
pub fn ctrf_problems(doc: &Value) -> Vec<String> {
    let mut e = Vec::new();
    let top = [
        "reportFormat",
        "specVersion",
        "reportId",
        "timestamp",
        "generatedBy",
        "extra",
        "results",
        "insights",
        "baseline",
    ];
    keys_within(doc, &top, "$", &mut e);
    required(
        doc,
        &["results", "reportFormat", "specVersion"],
        "$",
        &mut e,
    );
    if doc["reportFormat"] != "CTRF" {
        e.push("reportFormat must be CTRF".into());
    }
    let sv = doc["specVersion"].as_str().unwrap_or("");
    let parts: Vec<&str> = sv.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        e.push(format!("specVersion {sv:?} is not MAJOR.MINOR.PATCH"));
    }
    typed(doc, "generatedBy", "string", "$", &mut e);
    let r = &doc["results"];
    keys_within(
        r,
        &["tool", "summary", "tests", "environment", "extra"],
        "results",
        &mut e,
    );
    required(r, &["tool", "summary", "tests"], "results", &mut e);
    keys_within(&r["tool"], &["name", "version", "extra"], "tool", &mut e);
    if r["tool"]["name"].as_str().is_none_or(str::is_empty) {
        e.push("tool.name must be a non-empty string".into());
    }
    let s = &r["summary"];
    let counts = [
        "tests", "passed", "failed", "skipped", "pending", "other", "start", "stop",
    ];
    keys_within(
        s,
        &[&counts[..], &["flaky", "suites", "duration", "extra"]].concat(),
        "summary",
        &mut e,
    );
    required(s, &counts, "summary", &mut e);
    for k in counts.iter().chain(&["flaky", "suites", "duration"]) {
        typed(s, k, "integer", "summary", &mut e);
    }
    if let Some(env) = r.get("environment") {
        let keys = [
            "reportName",
            "appName",
            "appVersion",
            "buildId",
            "buildName",
            "buildNumber",
            "buildUrl",
            "repositoryName",
            "repositoryUrl",
            "commit",
            "branchName",
            "osPlatform",
            "osRelease",
            "osVersion",
            "testEnvironment",
            "healthy",
            "extra",
        ];
        keys_within(env, &keys, "environment", &mut e);
        typed(env, "buildNumber", "integer", "environment", &mut e);
        typed(env, "extra", "object", "environment", &mut e);
    }
    let Some(tests) = r["tests"].as_array() else {
        e.push("results.tests must be an array".into());
        return e;
    };
    let mut by_status = BTreeMap::new();
    for (i, t) in tests.iter().enumerate() {
        let at = format!("tests[{i}]");
        keys_within(
            t,
            &[
                &CTRF_TEST_KEYS[..],
                &["parameters", "steps", "insights", "extra"],
            ]
            .concat(),
            &at,
            &mut e,
        );
        required(t, &["name", "status", "duration"], &at, &mut e);
        if t["name"].as_str().is_none_or(str::is_empty) {
            e.push(format!("{at}.name must be a non-empty string"));
        }
        let st = t["status"].as_str().unwrap_or("");
        if !CTRF_STATUSES.contains(&st) {
            e.push(format!("{at}.status {st:?} not in the enum"));
        }
        *by_status.entry(st.to_owned()).or_insert(0u64) += 1;
        for k in ["duration", "start", "stop", "retries", "line"] {
            typed(t, k, "integer", &at, &mut e);
        }
        for k in [
            "message",
            "trace",
            "rawStatus",
            "threadId",
            "type",
            "filePath",
        ] {
            typed(t, k, "string", &at, &mut e);
        }
        for k in ["tags", "stdout", "stderr"] {
            typed(t, k, "strings", &at, &mut e);
        }
        typed(t, "flaky", "boolean", &at, &mut e);
        typed(t, "extra", "object", &at, &mut e);
        if let Some(suite) = t.get("suite") {
            if !suite
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
            {
                e.push(format!("{at}.suite must be a non-empty array of strings"));
            }
        }
        for (j, a) in t["retryAttempts"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("{at}.retryAttempts[{j}]");
            let keys = [
                "attempt",
                "status",
                "duration",
                "message",
                "trace",
                "line",
                "snippet",
                "stdout",
                "stderr",
                "start",
                "stop",
                "attachments",
                "extra",
            ];
            keys_within(a, &keys, &at, &mut e);
            required(a, &["attempt", "status"], &at, &mut e);
            if a["attempt"].as_i64().is_none_or(|n| n < 1) {
                e.push(format!("{at}.attempt must be an integer >= 1"));
            }
            if !CTRF_STATUSES.contains(&a["status"].as_str().unwrap_or("")) {
                e.push(format!("{at}.status not in the enum"));
            }
            for k in ["duration", "start", "stop"] {
                typed(a, k, "integer", &at, &mut e);
            }
        }
    }
    // The summary agrees with the tests.
    if s["tests"].as_u64() != Some(tests.len() as u64) {
        e.push(format!(
            "summary.tests {} != {} tests",
            s["tests"],
            tests.len()
        ));
    }
    for st in CTRF_STATUSES {
        if s[st].as_u64() != Some(*by_status.get(st).unwrap_or(&0)) {
            e.push(format!("summary.{st} {} disagrees with the tests", s[st]));
        }
    }
    if s["start"].as_i64() > s["stop"].as_i64() {
        e.push("summary.start after summary.stop".into());
    }
    e
}

/// The Trace Event Format's rules this output relies on.
pub fn trace_problems(doc: &Value) -> Vec<String> {
    let mut e = Vec::new();
    let Some(events) = doc["traceEvents"].as_array() else {
        return vec!["traceEvents must be an array".into()];
    };
    let mut processes = BTreeSet::new();
    let mut threads = BTreeSet::new();
    for ev in events {
        let ph = ev["ph"].as_str().unwrap_or("");
        if !(ev["pid"].is_u64() && ev["tid"].is_u64() && ev["name"].is_string()) {
            e.push(format!("pid, tid and name required: {ev}"));
        }
        let key = (ev["pid"].as_u64(), ev["tid"].as_u64());
        match ph {
            "M" => match ev["name"].as_str().unwrap_or("") {
                "process_name" => {
                    if ev["args"]["name"].is_string() {
                        processes.insert(key.0);
                    } else {
                        e.push(format!("process_name without args.name: {ev}"));
                    }
                }
                "thread_name" => {
                    if ev["args"]["name"].is_string() {
                        threads.insert(key);
                    } else {
                        e.push(format!("thread_name without args.name: {ev}"));
                    }
                }
                "process_sort_index" | "thread_sort_index" => {}
                other => e.push(format!("unknown metadata event {other}")),
            },
            "X" => {
                if !(ev["ts"].is_i64() && ev["dur"].as_i64().is_some_and(|d| d >= 0)) {
                    e.push(format!("complete event needs ts and dur >= 0 (µs): {ev}"));
                }
            }
            "C" => {
                let numeric = ev["args"]
                    .as_object()
                    .is_some_and(|a| !a.is_empty() && a.values().all(Value::is_number));
                if !ev["ts"].is_i64() || !numeric {
                    e.push(format!("counter event needs ts and numeric args: {ev}"));
                }
            }
            other => e.push(format!("unexpected ph {other:?}")),
        }
    }
    for ev in events {
        let key = (ev["pid"].as_u64(), ev["tid"].as_u64());
        if !processes.contains(&key.0) {
            e.push(format!("process {:?} has no process_name", key.0));
        }
        if ev["ph"] == "X" && !threads.contains(&key) {
            e.push(format!("track {key:?} has no thread_name"));
        }
    }
    e.sort();
    e.dedup();
    e
}
