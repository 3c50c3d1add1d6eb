#!/usr/bin/env python3
"""Runs a command and writes "wall user sys" (seconds) to a file.

GNU time prints user and system time to 10 ms, as much as a tenth of an
export of the benchmark stream; this gives them to the microsecond, from
wait4(2) on the command (which counts every process it waited for).
scripts/bench.sh runs GNU time under it for the peak RSS: measured here,
the RSS would include this Python process's, which the child starts with.

Usage: rusage.py -o FILE CMD [ARG...]   (exit status: the command's)
"""
import os
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4 or sys.argv[1] != "-o":
        sys.exit(__doc__)
    out, cmd = sys.argv[2], sys.argv[3:]
    start = time.monotonic()
    child = subprocess.Popen(cmd)
    _, status, ru = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here
    with open(out, "w") as f:
        f.write(f"{wall:.4f} {ru.ru_utime:.4f} {ru.ru_stime:.4f}\n")
    sys.exit(child.returncode % 256)


if __name__ == "__main__":
    main()
