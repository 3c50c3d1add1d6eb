//! `--html`: the report's keyboard, long lists and tests table in real
//! headless browsers (Chromium, and Firefox where installed; see
//! tests/common/browser.rs and tests/html_report.rs for what they need).

mod common;
use common::browser::{browsers, Session};
use common::report::*;
use stackviz_export::Status;

// ------------------------------------------------------------ keyboard

#[test]
fn keys_move_through_failures_and_close_and_search() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("keys.subunit");
    let tb = |e: &str| vec![("traceback", format!("Traceback:\n{e}\n"))];
    // Failures at entries 1, 3 and 5.
    write_stream(
        &stream,
        &[
            ("t.K.test_a", Status::Success, vec![]),
            ("t.K.test_b", Status::Fail, tb("BError: b")),
            ("t.K.test_c", Status::Success, vec![]),
            ("t.K.test_d", Status::Fail, tb("DError: d")),
            ("t.K.test_e", Status::Skip, vec![]),
            ("t.K.test_f", Status::Fail, tb("FError: f")),
        ],
    );
    let out = tmp.path().join("out");
    export_html(&stream, &out);
    for b in browsers() {
        let mut dt = b.session();
        dt.open(&out.join("index.html"), "");
        // What the page shows: the open test (null when closed), the failure
        // marked current, the focused element, the test in the fragment.
        let state = "new Promise(function (ok) { setTimeout(function () { \
        var d = document.getElementById('drawer'), c = document.querySelector('.failure.current'); \
        var m = /(?:^#|&)test=(\\d+)/.exec(location.hash); \
        ok({ open: d.hidden ? null : +d.getAttribute('data-test'), \
             current: c ? +c.getAttribute('data-entry') : null, \
             title: document.getElementById('drawer-title').textContent, \
             focus: document.activeElement.tagName + '.' + (document.activeElement.type || ''), \
             hash: m ? +m[1] : null }); }, 200); })";
        let j = |dt: &mut Session| dt.press("j");
        let k = |dt: &mut Session| dt.press("k");
        let esc = |dt: &mut Session| dt.press("Escape");
        let at = |dt: &mut Session, open: Option<u64>, current: Option<u64>| {
            let s = dt.eval(state);
            assert_eq!(s["open"].as_u64(), open, "{s}");
            assert_eq!(s["current"].as_u64(), current, "{s}");
            if let Some(t) = open {
                assert_eq!(s["hash"].as_u64(), Some(t), "the link names the test: {s}");
            } else {
                assert!(s["hash"].is_null(), "{s}");
            }
            s
        };
        at(&mut dt, None, None);
        // j: the first failure, then the next ones, stopping at the last.
        j(&mut dt);
        let s = at(&mut dt, Some(1), Some(1));
        assert!(s["title"].as_str().unwrap().contains("test_b"), "{s}");
        j(&mut dt);
        at(&mut dt, Some(3), Some(3));
        j(&mut dt);
        let s = at(&mut dt, Some(5), Some(5));
        assert!(s["title"].as_str().unwrap().contains("test_f"), "{s}");
        j(&mut dt);
        at(&mut dt, Some(5), Some(5));
        // k: back one.
        k(&mut dt);
        at(&mut dt, Some(3), Some(3));
        // Esc closes the details; k then starts from the last failure.
        esc(&mut dt);
        at(&mut dt, None, Some(3));
        k(&mut dt);
        at(&mut dt, Some(5), Some(5));
        // `/` closes the details and focuses the table's filter, where j and k
        // are text, not moves.
        dt.press("/");
        let s = at(&mut dt, None, Some(5));
        assert_eq!(s["focus"], "INPUT.search", "{s}");
        j(&mut dt);
        at(&mut dt, None, Some(5));
        let typed = dt.eval("document.activeElement.value");
        assert_eq!(typed, "j");
    }
}

#[test]
fn long_lists_grow_on_demand_and_keys_reach_every_failure() {
    // 450 failures: the list starts with 200; `k` with nothing open goes
    // to the last failure, which must then be in the list too.
    let names: Vec<String> = (0..450).map(|k| format!("t.Many.test_{k:03}")).collect();
    let tests: Vec<TestSpec<'_>> = names
        .iter()
        .map(|n| {
            let tb = vec![("traceback", "Traceback:\nManyError: x\n".to_owned())];
            (n.as_str(), Status::Fail, tb)
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("many.subunit");
    write_stream(&stream, &tests);
    let out = tmp.path().join("out");
    export_html(&stream, &out);
    for b in browsers() {
        let mut dt = b.session();
        dt.open(&out.join("index.html"), "");
        let list = "(function () { var b = document.querySelector('button.list-more[data-list=failures]'); \
        return { items: document.querySelectorAll('.failure').length, more: b.hidden ? null : b.textContent, \
        current: (document.querySelector('.failure.current') || { getAttribute: String }).getAttribute('data-entry') }; })()";
        let s = dt.eval(list);
        assert_eq!(s["items"], 200, "{s}");
        assert_eq!(s["more"], "Show 200 more (250 not shown)", "{s}");
        dt.eval("document.querySelector('button.list-more[data-list=failures]').click()");
        let s = dt.eval(list);
        assert_eq!(s["items"], 400, "{s}");
        assert_eq!(s["more"], "Show 50 more (50 not shown)", "{s}");
        dt.press("k");
        let s = dt.eval(list);
        assert_eq!(s["items"], 450, "{s}");
        assert!(s["more"].is_null(), "{s}");
        assert_eq!(s["current"], "449", "{s}");
    }
}

// ------------------------------------------------------------ table

#[test]
fn the_table_sorts_and_searches_like_the_page_always_did() {
    // The order by name comes from the exporter, in UTF-16 code units as
    // JavaScript's default sort compares (an emoji before U+FFFD, upper
    // case before lower case); numbers are radix-sorted in the page with
    // ties in stream order; the search runs over one lower-case string,
    // or name by name where lower-casing changes a name's length (`İ`).
    let plain = [
        ("t.S.test_b", 3000),
        ("t.S.Test_Z", 1000),
        ("t.S.test_\u{fffd}", 2000),
        ("t.S.test_\u{1f600}", 5000),
        ("t.S.test_a", 500),
        ("t.S.test_é", 4000),
        ("t.S.test_c", 3000),
        ("t.S.test_ab", 0),
    ];
    let mut dotted = plain.to_vec();
    dotted.push(("t.S.test_\u{130}x", 2500));
    for tests in [&plain[..], &dotted[..]] {
        let tmp = tempfile::tempdir().unwrap();
        let stream = tmp.path().join("table.subunit");
        write_timed_stream(&stream, tests);
        let out = tmp.path().join("out");
        export_html(&stream, &out);
        let ids: Vec<&str> = tests.iter().map(|t| t.0).collect();
        let mut by_name = ids.clone();
        by_name.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
        let mut by_name_desc = by_name.clone();
        by_name_desc.reverse();
        // Duration: first descending (ties in reverse stream order, as the
        // whole order is reversed), then ascending.
        let mut by_dur: Vec<(i64, usize)> =
            tests.iter().enumerate().map(|(i, t)| (t.1, i)).collect();
        by_dur.sort();
        let dur_asc: Vec<&str> = by_dur.iter().map(|&(_, i)| ids[i]).collect();
        let mut dur_desc = dur_asc.clone();
        dur_desc.reverse();
        let probe = "(function () { \
          var s = document.querySelector('section.stream:not([hidden])'); \
          function rows() { return Array.prototype.map.call(s.querySelectorAll('.tbl-space .tr'), \
            function (r) { return r.getAttribute('data-test'); }); } \
          function sort(k) { s.querySelector('.th button[data-sort=' + k + ']').click(); return rows(); } \
          function type(q) { var i = s.querySelector('input[type=search]'); i.value = q; \
            i.dispatchEvent(new Event('input')); return rows(); } \
          return { asc: sort('name'), desc: sort('name'), durDesc: sort('duration'), durAsc: sort('duration'), \
            z: type('_Z'), a: type('S.TEST_A'), all: type('t.s.'), \
            dotted: type('\\u0130X'.toLowerCase()) }; })()";
        for b in browsers() {
            let mut dt = b.session();
            dt.open(&out.join("index.html"), "");
            let got = dt.eval(probe);
            let list = |k: &str| -> Vec<String> {
                got[k]
                    .as_array()
                    .unwrap_or_else(|| panic!("{k}: {got}"))
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect()
            };
            assert_eq!(list("asc"), by_name, "[{}] by name", b.name());
            assert_eq!(
                list("desc"),
                by_name_desc,
                "[{}] by name, descending",
                b.name()
            );
            assert_eq!(list("durDesc"), dur_desc, "[{}] by duration", b.name());
            assert_eq!(
                list("durAsc"),
                dur_asc,
                "[{}] by duration, ascending",
                b.name()
            );
            // Searches keep the current order (duration, ascending).
            assert_eq!(list("z"), ["t.S.Test_Z"], "[{}]", b.name());
            assert_eq!(list("a"), ["t.S.test_ab", "t.S.test_a"], "[{}]", b.name());
            assert_eq!(list("all"), dur_asc, "[{}]", b.name());
            let dotted: Vec<String> = ids
                .iter()
                .filter(|i| i.contains('\u{130}'))
                .map(|i| i.to_string())
                .collect();
            assert_eq!(list("dotted"), dotted, "[{}]", b.name());
        }
    }
}
