#!/usr/bin/python3
"""Helpers of bench/run (Debian's python3, standard library only).

  measure.py align                       sleep until 50 ms past the next second; print that second
  measure.py now                         the real time, Unix seconds with microseconds
  measure.py until T                     sleep until the real time T (Unix seconds)
  measure.py send-instant LOG SEND_TIME  the real instant merzimd's clock reads SEND_TIME, from its start
                                         line ("clock ... (set with --now; real time ...)")
  measure.py wait-sent DB N TIMEOUT      poll the outbox (read-only) until N rows are recorded sent; print
                                         the instants the first and the last were seen, how many are sent
                                         and how many failed
  measure.py wait-planned DB TIMEOUT     poll until every pending occurrence is planned; print when
  measure.py wait-metric URL NAME N T    poll a Prometheus /metrics page until the sum of the counters
                                         NAME{...} reaches N (T seconds at most); print when
  measure.py delays TIMES WAKE           arrivals at the receiver (one instant a line) against the wake
  measure.py commit-cost DB              ms per one-row WAL commit, synchronous FULL and NORMAL
  measure.py proc PID                    VmRSS, VmHWM (KiB) and context switches of all its threads
  measure.py rss-reset PID               start VmHWM afresh from VmRSS (/proc/PID/clear_refs 5)
  measure.py cpu PID                     CPU time of all its threads so far, in ns (its process clock)
  measure.py notify-listen SOCKET OUT    count sd_notify messages on SOCKET until SIGTERM; then write
                                         "messages watchdog_pings" to OUT
  measure.py stats V...                  min, median and max of the values
  measure.py feed-alerts PORT N BATCH    post N alerts to Alertmanager's API in batches of BATCH over one
                                         kept-alive connection (as Prometheus does, 64 a request); print
                                         the instants of the first request and of the last answer
  measure.py wrk-script REQUESTS OUT     a wrk script that sends, in turn, the requests http-sink sampled;
                                         print their mean size in bytes
"""
import datetime
import http.client
import json
import os
import signal
import socket
import sqlite3
import statistics
import sys
import time
import urllib.request


def align():
    now = time.time()
    second = int(now) + 1
    time.sleep(second + 0.05 - now)
    print(second)


def now():
    print("%.6f" % time.time())


def until(t):
    delay = float(t) - time.time()
    if delay > 0:
        time.sleep(delay)


def parse_iso(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def send_instant(log, send_time):
    # "merzimd: merzimd 0.1.0 started: ..., clock 2024-11-05T08:59:57+05:00 (set with --now; real time
    # 2026-11-30T06:54:23Z)": both read from one clock_gettime, to the second, as merzimd's offset is.
    # Waits for the line (a large configuration takes a while to load).
    deadline = time.time() + 60
    while time.time() < deadline:
        for line in open(log, encoding="utf-8", errors="replace"):
            if " started: " in line and " clock " in line and "real time " in line:
                clock = line.split(" clock ", 1)[1].split()[0]
                real = line.split("real time ", 1)[1].split(")")[0]
                offset = parse_iso(clock) - parse_iso(real)
                print("%.6f" % (parse_iso(send_time) - offset))
                return
        time.sleep(0.02)
    sys.exit("measure.py: no start line with the real time in " + log)


def wait_sent(db, n, timeout):
    n, deadline = int(n), time.time() + float(timeout)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    first, sent, failed = None, 0, 0
    while time.time() < deadline:
        try:
            # Recorded sent, not merely no longer pending: a failed row is not a delivery.
            sent, failed = con.execute("SELECT count(*) FILTER (WHERE state = 'sent'), "
                                       "count(*) FILTER (WHERE state = 'failed') FROM outbox").fetchone()
        except sqlite3.OperationalError:
            sent = failed = 0
        t = time.time()
        if sent and first is None:
            first = t
        if sent >= n:
            print("%.6f %.6f %d %d" % (first, t, sent, failed))
            return
        time.sleep(0.01)
    print("%.6f %.6f %d %d" % (first or 0, 0, sent, failed))
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
        time.sleep(0.02)
    sys.exit("measure.py: not planned in time")


def wait_metric(url, name, n, timeout):
    n, deadline = float(n), time.time() + float(timeout)
    total = 0
    while time.time() < deadline:
        try:
            total = 0
            for line in urllib.request.urlopen(url, timeout=5).read().decode().splitlines():
                if line.startswith(name + "{") or line.startswith(name + " "):
                    total += float(line.rsplit(" ", 1)[1])
        except OSError:
            total = 0
        if total >= n:
            print("%.6f" % time.time())
            return
        time.sleep(0.05)
    sys.exit("measure.py: %s reached %d of %d" % (name, total, n))


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
        print("n=0 first=nan p50=nan p99=nan last=nan span=nan")
        return
    d = [x - wake for x in t]
    n = len(d)
    print("n=%d first=%.3f p50=%.3f p99=%.3f last=%.3f span=%.3f"
          % (n, d[0], statistics.median(d), d[min(n - 1, int(n * 0.99))], d[-1], t[-1] - t[0]))


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


def rss_reset(pid):
    with open("/proc/%s/clear_refs" % pid, "w") as f:
        f.write("5")


def cpu(pid):
    # The CPU-time clock of process pid (CPUCLOCK_SCHED, all its threads, those that ended included).
    print(time.clock_gettime_ns((~int(pid) << 3) | 2))


def notify_listen(path, out):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    counts = [0, 0]

    def done(*_):
        with open(out, "w") as f:
            f.write("%d %d\n" % tuple(counts))
        sys.exit(0)
    signal.signal(signal.SIGTERM, done)
    while True:
        msg = s.recv(4096).decode(errors="replace")
        counts[0] += 1
        if "WATCHDOG=1" in msg.split("\n"):
            counts[1] += 1


def stats(*values):
    v = sorted(float(x) for x in values)
    fmt = (lambda x: "%.0f" % x) if all(x == int(x) and abs(x) >= 100 for x in v) else (lambda x: "%.3g" % x)
    print(fmt(v[0]), fmt(statistics.median(v)), fmt(v[-1]))


def feed_alerts(port, n, batch):
    n, batch = int(n), int(batch)
    c = http.client.HTTPConnection("127.0.0.1", int(port))
    bodies = []
    for first in range(0, n, batch):
        alerts = [{"labels": {"alertname": "deadline", "agency": "ДЕП%05d" % (i + 1), "measure": str(i + 1),
                              "stage": "30d"},
                   "annotations": {"summary": "30-day reminder of measure %d" % (i + 1)}}
                  for i in range(first, min(n, first + batch))]
        bodies.append(json.dumps(alerts).encode())
    t0 = time.time()
    for b in bodies:
        c.request("POST", "/api/v2/alerts", b, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("measure.py: Alertmanager answered %d %s" % (r.status, r.reason))
    print("%.6f %.6f" % (t0, time.time()))


def lua_string(data):
    """A Lua string literal of the bytes data (decimal escapes: LuaJIT has no \\u)."""
    out = []
    for b in data:
        if 32 <= b < 127 and b not in (34, 92):
            out.append(chr(b))
        else:
            out.append("\\%03d" % b)
    return '"' + "".join(out) + '"'


def wrk_script(request, out):
    """A wrk script that sends, in turn, the requests http-sink sampled; prints their mean size."""
    raw = open(request, "rb").read()
    requests = []
    while raw:
        line, raw = raw.split(b"\n", 1)
        n = int(line)
        requests.append(raw[:n])
        raw = raw[n:]
    with open(out, "w") as f:
        f.write("-- merzimd's own requests, as http-sink received them (every 100th), sent in turn\n")
        f.write("local raw = {\n")
        for req in requests:
            head, body = req.split(b"\r\n\r\n", 1)
            lines = head.decode("utf-8").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = []
            for line in lines[1:]:
                name, value = line.split(":", 1)
                if name.lower() not in ("host", "content-length"):
                    headers.append("[%s] = %s" % (lua_string(name.encode()), lua_string(value.strip().encode())))
            f.write("  {%s, %s, {%s}, %s},\n" % (lua_string(method.encode()), lua_string(path.encode()),
                                               ", ".join(headers), lua_string(body)))
        f.write("}\nlocal requests = {}\nlocal i = 0\n")
        f.write("function init(args)\n  for k, r in ipairs(raw) do requests[k] = wrk.format(r[1], r[2], r[3], r[4]) end\nend\n")
        f.write("function request()\n  i = i % #requests + 1\n  return requests[i]\nend\n")
    print(round(sum(len(r) for r in requests) / len(requests)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"align": align, "now": now, "until": until, "send-instant": send_instant, "wait-sent": wait_sent,
     "wait-planned": wait_planned, "wait-metric": wait_metric, "commit-cost": commit_cost, "delays": delays,
     "proc": proc, "rss-reset": rss_reset, "cpu": cpu, "notify-listen": notify_listen, "stats": stats,
     "feed-alerts": feed_alerts, "wrk-script": wrk_script}[cmd](*args)


if __name__ == "__main__":
    main()
