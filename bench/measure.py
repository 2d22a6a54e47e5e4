#!/usr/bin/python3
"""Helpers of bench/run (Debian's python3, standard library only).

  measure.py align                       sleep until 50 ms past the next second; print that second
  measure.py stamp                       copy stdin to stdout, each line prefixed by the time it came
  measure.py wake-instant LOG SEND_TIME  the real instant merzimd's clock reads SEND_TIME (from the
                                         "clock ..." of its start line in a stamped LOG)
  measure.py wait-sent DB N TIMEOUT      poll the outbox (read-only) until N rows are sent; print the
                                         instants the first and the last were recorded
  measure.py wait-planned DB TIMEOUT     poll until every pending occurrence is planned; print when
  measure.py delays TIMES WAKE           arrivals at the receiver (one instant a line) against the wake
  measure.py commit-cost DB              ms per one-row WAL commit, synchronous FULL and NORMAL
  measure.py proc PID                    VmRSS, VmHWM (KiB) and context switches of all its threads
"""
import datetime
import os
import sqlite3
import sys
import time


def align():
    now = time.time()
    second = int(now) + 1
    time.sleep(second + 0.05 - now)
    print(second)


def stamp():
    for line in sys.stdin.buffer:
        sys.stdout.buffer.write(b"%.6f " % time.time() + line)
        sys.stdout.flush()


def parse_iso(text):
    return datetime.datetime.fromisoformat(text).timestamp()


def wake_instant(log, send_time):
    # "1700000000.123456 merzimd: merzimd 0.1.0 started: ..., clock 2024-11-05T08:59:57+05:00 (set with --now)"
    for line in open(log, encoding="utf-8", errors="replace"):
        if " started: " in line and " clock " in line:
            real = float(line.split(" ", 1)[0])
            clock = line.split(" clock ", 1)[1].split()[0]
            offset = parse_iso(clock) - int(real)
            print("%.6f" % (parse_iso(send_time) - offset))
            return
    sys.exit("measure.py: no start line in " + log)


def wait_sent(db, n, timeout):
    n, deadline = int(n), time.time() + float(timeout)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    first = None
    while time.time() < deadline:
        try:
            # Cheap, so that polling does not slow merzimd down: the pending rows through their index.
            total, pending = con.execute("SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM outbox "
                                         "INDEXED BY outbox_due WHERE state = 'pending')").fetchone()
            sent = total - pending
        except sqlite3.OperationalError:
            sent = 0
        now = time.time()
        if sent and first is None:
            first = now
        if sent >= n:
            print("%.6f %.6f %d" % (first, now, sent))
            return
        time.sleep(0.02)
    print("%.6f %.6f %d" % (first or 0, 0, sent))
    sys.exit(1)


def wait_planned(db, timeout):
    deadline = time.time() + float(timeout)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    while time.time() < deadline:
        try:
            rev = con.execute("SELECT CAST(value AS INTEGER) FROM daemon_state WHERE key = 'policy_rev'").fetchone()
            left = -1
            if rev and rev[0] is not None:
                # Planned: no occurrence to plan on its own (planned_rev -1, or an older revision), and
                # the fresh ones' dates looked at up to the last occurrence (daemon_state fresh_checked).
                left = con.execute("SELECT EXISTS (SELECT 1 FROM occurrence INDEXED BY occurrence_planned "
                                   "WHERE status = 'pending' AND planned_rev <> 0 AND planned_rev < ?) "
                                   "OR coalesce((SELECT CAST(value AS INTEGER) FROM daemon_state "
                                   "WHERE key = 'fresh_checked'), 0) <> (SELECT coalesce(max(id), 0) FROM occurrence)",
                                   (rev[0],)).fetchone()[0]
        except sqlite3.OperationalError:
            left = -1
        if left == 0:
            print("%.6f" % time.time())
            return
        time.sleep(0.1)
    sys.exit("measure.py: not planned in time")


def commit_cost(db):
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE IF NOT EXISTS t (a)")
    out = []
    for mode in ("FULL", "NORMAL"):
        con.execute("PRAGMA synchronous = " + mode)
        t = time.time()
        for i in range(300):
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO t VALUES (?)", (i,))
            con.execute("COMMIT")
        out.append("%.2f" % ((time.time() - t) / 300 * 1000))
    print(" ".join(out))


def delays(times_file, wake):
    wake = float(wake)
    t = sorted(float(x) for x in open(times_file) if x.strip())
    if not t:
        print("n=0")
        return
    d = [x - wake for x in t]
    n = len(d)
    print("n=%d first=%.3f p50=%.3f p99=%.3f last=%.3f span=%.3f"
          % (n, d[0], d[n // 2], d[min(n - 1, int(n * 0.99))], d[-1], t[-1] - t[0]))


def proc(pid):
    rss = hwm = 0
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    switches = 0
    for tid in os.listdir("/proc/%s/task" % pid):
        for line in open("/proc/%s/task/%s/status" % (pid, tid)):
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                switches += int(line.split()[1])
    print("%d %d %d" % (rss, hwm, switches))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"align": align, "stamp": stamp, "wake-instant": wake_instant, "wait-sent": wait_sent, "wait-planned": wait_planned, "commit-cost": commit_cost,
     "delays": delays,
     "proc": proc}[cmd](*args)


if __name__ == "__main__":
    main()
