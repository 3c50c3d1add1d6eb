"""Writes the subunit v2 streams of tests/frontend.rs with python-subunit.

Run with the tools venv (scripts/setup-test-tools.sh):
    .tools/venv/bin/python tests/data/frontend/make_streams.py
All times are offsets in seconds from 2015-10-05T19:49:04Z, inside the
span of dstat-0.7.2.csv, so the dstat logs here overlap every stream.
"""
import datetime
import os

import subunit

BASE = datetime.datetime(2015, 10, 5, 19, 49, 4, tzinfo=datetime.timezone.utc)
HERE = os.path.dirname(os.path.abspath(__file__))


def at(sec, base=BASE):
    return base + datetime.timedelta(seconds=sec)


def write(name, tests, tail=b"", base=BASE):
    """tests: (id, start, end, tags) with start/end None for untimed."""
    with open(os.path.join(HERE, name), "wb") as f:
        out = subunit.StreamResultToBytes(f)
        for tid, start, end, tags in tests:
            out.status(test_id=tid, test_status="inprogress",
                       test_tags=tags or None,
                       timestamp=None if start is None else at(start, base))
            out.status(test_id=tid, test_status="success",
                       test_tags=tags or None,
                       timestamp=None if end is None else at(end, base))
        f.write(tail)


# No worker tags at all (pytest-subunit, tap2subunit, python -m subunit.run).
write("untagged.subunit", [
    ("pkg.mod.T.test_a", 0.0, 2.0, []),
    ("pkg.mod.T.test_b", 0.5, 1.5, []),
    ("pkg.mod.T.test_c", 1.0, 3.0, []),
    ("pkg.mod.T.test_d", 2.0, 4.0, []),
    ("pkg.mod.T.test_e", 3.5, 5.0, []),
    ("pkg.mod.T.test_f", 5.0, 6.0, []),
])

# Sparse worker ids: worker-1, 4, 7, 10; another tag that must survive.
write("sparse.subunit", [
    ("pkg.mod.T.test_a", 0.0, 1.0, ["worker-4"]),
    ("pkg.mod.T.test_b", 0.0, 1.2, ["worker-10", "smoke"]),
    ("pkg.mod.T.test_c", 0.1, 2.0, ["worker-1"]),
    ("pkg.mod.T.test_d", 0.2, 2.5, ["worker-7"]),
    ("pkg.mod.T.test_e", 1.0, 3.0, ["worker-4"]),
    ("pkg.mod.T.test_f", 2.5, 4.0, ["worker-1"]),
])

# Partly tagged: two workers plus untagged tests running beside them.
write("partly.subunit", [
    ("pkg.mod.T.test_a", 0.0, 2.0, ["worker-0"]),
    ("pkg.mod.T.test_b", 0.0, 3.0, ["worker-1"]),
    ("pkg.mod.T.test_c", 0.5, 2.5, []),
    ("pkg.mod.T.test_d", 1.0, 4.0, []),
    ("pkg.mod.T.test_e", 2.0, 5.0, ["worker-0"]),
    ("pkg.mod.T.test_f", 3.0, 3.5, []),
])

# Untimed tests: one before any timestamp, one between timed tests, one last.
write("untimed.subunit", [
    ("pkg.mod.T.test_first", None, None, ["worker-0"]),
    ("pkg.mod.T.test_a", 1.0, 2.0, ["worker-0"]),
    ("pkg.mod.T.test_mid", None, None, ["worker-0"]),
    ("pkg.mod.T.test_b", 2.5, 3.0, ["worker-0"]),
    ("pkg.mod.T.test_last", None, None, ["worker-0"]),
])

# A damaged packet after two timed tests: a subunit.parser record.
damaged = bytearray()
import io
buf = io.BytesIO()
subunit.StreamResultToBytes(buf).status(
    test_id="pkg.mod.T.test_x", test_status="success", timestamp=at(4.0))
damaged = bytearray(buf.getvalue())
damaged[-1] ^= 0xFF  # break the CRC
write("parser-record.subunit", [
    ("pkg.mod.T.test_a", 1.0, 2.0, ["worker-0"]),
    ("pkg.mod.T.test_b", 2.0, 3.0, ["worker-0"]),
], tail=bytes(damaged))

# Inside the span of pcp-dstat-6.0.3.csv (a real capture, 01-12 20:45:13-17).
write("pcp-run.subunit", [
    ("pkg.mod.T.test_a", 0.5, 2.0, ["worker-0"]),
    ("pkg.mod.T.test_b", 1.0, 3.0, ["worker-1"]),
], base=datetime.datetime(2026, 12, 1, 20, 45, 13, tzinfo=datetime.timezone.utc))
