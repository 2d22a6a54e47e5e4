#!/usr/bin/python3
"""An HTTP/1.1 receiver for merzim's tests (tests/servers.h): answers each path from a script of
responses, logs every request as one JSON line to DIR/http.jsonl, optionally over TLS."""

import argparse
import ctypes
import json
import os
import select
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Script:
    """The responses to give per path, used in order with the last one repeated."""

    def __init__(self, text):
        self.responses = {}
        for path, steps in (json.loads(text) if text else {}).items():
            if not isinstance(steps, list):
                steps = [steps]
            self.responses[path] = [self.normalize(s) for s in steps] or [{"status": 200}]
        self.used = {}
        self.lock = threading.Lock()

    @staticmethod
    def normalize(step):
        if isinstance(step, int):
            return {"status": step}
        step = dict(step)
        step.setdefault("status", 200)
        return step

    def next(self, path):
        steps = self.responses.get(path)
        if steps is None:
            steps = self.responses.get(path.split("?", 1)[0])
        if steps is None:
            return {"status": 200}
        with self.lock:
            i = self.used.get(path, 0)
            self.used[path] = i + 1
        return steps[min(i, len(steps) - 1)]


class Journal:
    """The JSONL log of requests, numbered in arrival order."""

    def __init__(self, path):
        self.log = open(path, "a", encoding="utf-8")
        self.count = 0
        self.lock = threading.Lock()

    def write(self, record):
        with self.lock:
            self.count += 1
            record = dict(n=self.count, **record)
            self.log.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.log.flush()


class Receiver(ThreadingHTTPServer):
    """A thread per connection, keep-alive, TLS handshakes done in the connection's thread."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 4096

    def __init__(self, script, journal, tls_context):
        self.script = script
        self.journal = journal
        self.tls_context = tls_context
        super().__init__(("127.0.0.1", 0), RequestHandler)

    def finish_request(self, request, client_address):
        if self.tls_context:
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


class RequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests as the script says."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "merzim-test-http"
    sys_version = ""

    def log_message(self, format, *args):
        pass

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def wait_for_close(self):
        """Never answer: wait until the client gives up and closes the connection."""
        self.close_connection = True
        sock = self.connection
        while True:
            try:
                if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                    select.select([sock], [], [])
                if not sock.recv(65536):
                    return
            except ssl.SSLWantReadError:
                continue
            except OSError:
                return

    def answer(self):
        received = time.time()
        body = self.read_body()
        step = self.server.script.next(self.path)
        hang = bool(step.get("hang"))
        status = None if hang else int(step["status"])
        headers = {}
        for name, value in self.headers.items():
            headers[name] = headers[name] + ", " + value if name in headers else value
        self.server.journal.write({
            "t": round(received, 3),
            "method": self.command,
            "path": self.path,
            "headers": headers,
            "body": body.decode("utf-8", errors="replace"),
            "status": status,
        })
        if hang:
            self.wait_for_close()
            return
        if step.get("delay"):
            time.sleep(float(step["delay"]))

        payload = step.get("body", "")
        payload = payload.encode("utf-8") if isinstance(payload, str) else json.dumps(payload).encode()
        lines = ["HTTP/1.1 %d %s" % (status, self.responses.get(status, ("",))[0]),
                 "Server: " + self.server_version,
                 "Content-Length: %d" % len(payload)]
        if payload:
            lines.append("Content-Type: " + step.get("content_type", "text/plain; charset=utf-8"))
        if "retry_after" in step:
            lines.append("Retry-After: %s" % step["retry_after"])
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + (b"" if self.command == "HEAD" else payload))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = answer


def die_with_parent(parent):
    """Ask the kernel to stop this server when the test that started it goes away."""
    if not parent:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        sys.exit(0)


def write_port(directory, name, port):
    """Publish the listening port, atomically, for the C side to read."""
    tmp = os.path.join(directory, "." + name + ".tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, os.path.join(directory, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--script", help="a JSON file: path -> list of responses")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--parent", type=int, default=0)
    args = parser.parse_args()

    die_with_parent(args.parent)
    text = None
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            text = f.read()
    tls_context = None
    if args.tls:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(os.path.join(args.dir, "server.pem"),
                                    os.path.join(args.dir, "server.key"))
    server = Receiver(Script(text), Journal(os.path.join(args.dir, "http.jsonl")), tls_context)
    write_port(args.dir, "http.port", server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
