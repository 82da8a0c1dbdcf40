# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""tests/exporter_scrape.py - what the exporter tests' Python reads from
`gilscope exporter`'s /metrics: a scrape, and a scrape of a snapshot taken
after a given time (a snapshot is taken every --interval; a scrape returns
the last one). Run from the top of the tree: sys.path.insert(0, "tests")."""
import re
import time
import urllib.request


def scrape(url):
    """(the snapshot's time, the text) of one scrape"""
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    ts = float(re.search(r"^gilscope_snapshot_timestamp_seconds (\S+)$", text, re.M).group(1))
    return ts, text


def scrape_after(url, t0, tries=200):
    """(time, text) of a scrape whose snapshot was taken after t0
    (time.time()), scrapes 20 ms apart; None if tries of them brought none
    (the exporter's snapshots stopped)"""
    for _ in range(tries):
        ts, text = scrape(url)
        if ts > t0:
            return ts, text
        time.sleep(0.02)
    return None


def thread_series(text, pid):
    """[(metric, tid, thread, value)]: the per-thread series of process pid"""
    return [(m.group(1), m.group(2), m.group(3), float(m.group(4))) for m in re.finditer(
        r'^(\w+)\{pid="%s",comm="[^"]*",tid="(\d*)",thread="([^"]*)"\} (\S+)$' % pid, text, re.M)]
