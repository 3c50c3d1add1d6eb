#!/usr/bin/env python3
"""Writes fixtures/sample/dstat.csv: a classic dstat CSV (the format of
`dstat -tcmndy --output`) covering the sample run's time window, so the
sample exports with machine-load charts. Values are synthetic but shaped
like a two-worker test run: busy CPUs while tests run, then idle."""
import datetime
import random

START = datetime.datetime(2026, 11, 22, 1, 43, 5)
SECONDS = 120
rng = random.Random(7)
rows = [
    '"Dstat 0.8.0 CSV output"',
    '"Author:","Dag Wieers <dag@wieers.com>",,,,"URL:","http://dag.wieers.com/home-made/dstat/"',
    '"Host:","ci-node",,,,"User:","zuul"',
    '"Cmdline:","dstat -tcmndy --output dstat.csv 1",,,,"Date:","22 Nov 2026 01:43:05 UTC"',
    '"system","total cpu usage",,,,,"memory usage",,,,"net/total",,"dsk/total",,"system",',
    '"time","usr","sys","idl","wai","stl","used","free","buff","cach","recv","send","read","writ","int","csw"',
]
used = 1.6e9
for i in range(SECONDS):
    t = START + datetime.timedelta(seconds=i)
    busy = 2 <= i <= 117
    usr = rng.uniform(55, 85) if busy else rng.uniform(1, 4)
    sys_ = rng.uniform(6, 14) if busy else rng.uniform(0.5, 2)
    wai = rng.uniform(0, 3) if busy else 0.0
    idl = max(0.0, 100 - usr - sys_ - wai)
    used += rng.uniform(-2e7, 3e7) if busy else -5e6
    free = 24e9 - used
    recv = rng.uniform(1e4, 2e5) if busy else rng.uniform(0, 2e3)
    send = recv * rng.uniform(0.2, 0.6)
    read = rng.choice([0, 0, 4096, 98304, 2.8e6]) if busy else 0
    writ = rng.choice([0, 4096, 65536, 691713.745]) if busy else 0
    rows.append('%s,%.3f,%.3f,%.3f,%.3f,0,%d,%d,18546688,1021235200,%.1f,%.1f,%.3f,%.3f,%d,%d' % (
        t.strftime('%d-%m %H:%M:%S'), usr, sys_, idl, wai, used, free, recv, send, read, writ,
        rng.randint(2000, 5000) if busy else rng.randint(100, 300),
        rng.randint(4000, 9000) if busy else rng.randint(150, 400)))
with open('fixtures/sample/dstat.csv', 'w') as f:
    f.write('\n'.join(rows) + '\n')
