#!/usr/bin/env python3
"""Reference events for subunit v1 input, as stestr's own conversion gives them.

Converts a subunit v1 stream to v2 exactly the way stestr's repository does
(python-subunit ProtocolTestCase -> testtools ExtendedToStreamDecorator ->
StreamResultToBytes), then decodes the v2 bytes again and prints one JSON
object per packet. `src/decode/v1/` must yield the same events; the output is
committed under tests/data/ so the Rust tests need no Python.

Usage (python-subunit 1.4.6 and testtools 2.9.1 in a virtualenv):
    python3 -m venv /tmp/v1venv
    /tmp/v1venv/bin/pip install python-subunit testtools
    /tmp/v1venv/bin/python scripts/v1_oracle.py RUNFILE > tests/data/X.events.json

Byte strings are written as JSON strings of code points U+0000..U+00FF, one
per byte (a Latin-1 decoding), so any bytes survive the round trip.

Before the first `time:` directive upstream stamps events with the wall
clock; the oracle writes `null` there instead, as the port does.
"""

import datetime
import io
import json
import sys

import subunit
import subunit.v2
import testtools


# Stands in for the wall clock; no real stream carries this instant.
NO_TIME = datetime.datetime(1970, 1, 1, 0, 0, 1, 123457,
                            tzinfo=datetime.timezone.utc)


class Recorder(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.events = []

    def status(self, test_id=None, test_status=None, test_tags=None,
               runnable=True, file_name=None, file_bytes=None, eof=False,
               mime_type=None, route_code=None, timestamp=None):
        ev = {"test_id": test_id, "status": test_status}
        ev["tags"] = sorted(test_tags) if test_tags is not None else None
        if timestamp is not None and timestamp != NO_TIME:
            delta = timestamp - subunit.v2.EPOCH
            ev["timestamp"] = [delta.days * 86400 + delta.seconds,
                               delta.microseconds * 1000]
        else:
            ev["timestamp"] = None
        ev["mime"] = mime_type
        if file_name is not None:
            ev["file"] = {"name": file_name,
                          "bytes": bytes(file_bytes).decode("latin-1"),
                          "eof": bool(eof)}
        else:
            ev["file"] = None
        ev["route"] = route_code
        ev["runnable"] = bool(runnable)
        self.events.append(ev)


def v1_to_v2(content):
    """stestr's _DiskRun.get_subunit_stream, restated."""
    case = subunit.ProtocolTestCase(io.BytesIO(content),
                                    passthrough=io.BytesIO())
    out = io.BytesIO()
    result = testtools.ExtendedToStreamDecorator(
        subunit.v2.StreamResultToBytes(out))

    def now():
        last = result._ExtendedToStreamDecorator__now
        return NO_TIME if last is None else last

    result._now = now
    result.startTestRun()
    try:
        case.run(result)
    finally:
        result.stopTestRun()
    return out.getvalue()


def main():
    with open(sys.argv[1], "rb") as f:
        content = f.read()
    v2 = v1_to_v2(content)
    rec = Recorder()
    subunit.ByteStreamToStreamResult(io.BytesIO(v2)).run(rec)
    sys.stdout.write("[\n")
    sys.stdout.write(",\n".join(json.dumps(e, ensure_ascii=True)
                                 for e in rec.events))
    sys.stdout.write("\n]\n")


if __name__ == "__main__":
    main()
