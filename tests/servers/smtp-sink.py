#!/usr/bin/python3
"""An SMTP server for merzim's tests (tests/servers.h): accepts mail on 127.0.0.1, stores each message
in DIR/mail/NNNN.eml and logs one JSON line per message or refused recipient to DIR/smtp.jsonl.

Runs with Debian's python3-aiosmtpd, so start it with /usr/bin/python3."""

import argparse
import asyncio
import ctypes
import json
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Journal:
    """The JSONL log and the message store, numbered in arrival order."""

    def __init__(self, directory):
        self.directory = directory
        self.messages = 0
        self.connections = 0
        os.makedirs(os.path.join(directory, "mail"), exist_ok=True)
        self.log = open(os.path.join(directory, "smtp.jsonl"), "a", encoding="utf-8")

    def write(self, record):
        self.log.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.log.flush()

    def store(self, content):
        self.messages += 1
        name = "mail/%04d.eml" % self.messages
        with open(os.path.join(self.directory, name), "wb") as f:
            f.write(content)
        return self.messages, name


class Handler:
    """What the server does with recipients and messages."""

    def __init__(self, journal, reject_rcpt, delay, delay_rcpt):
        self.journal = journal
        self.reject_rcpt = reject_rcpt
        self.delay = delay
        self.delay_rcpt = delay_rcpt

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt and address.lower() == self.reject_rcpt.lower():
            self.journal.write({"refused": address, "connection": server.connection})
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        slow = not self.delay_rcpt or any(r.lower() == self.delay_rcpt.lower() for r in envelope.rcpt_tos)
        if self.delay > 0 and slow:
            await asyncio.sleep(self.delay)
        content = envelope.original_content or envelope.content or b""
        n, name = self.journal.store(content)
        server.messages += 1
        self.journal.write({
            "n": n,
            "connection": server.connection,
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": server.implicit_tls or session.ssl is not None,
            "auth": session.auth_data if session.authenticated else None,
            "size": len(content),
            "file": name,
        })
        return "250 OK queued as %04d" % n


class NumberedSMTP(SMTP):
    """aiosmtpd's SMTP protocol, one per TCP connection, numbered so that tests can see reuse."""

    def __init__(self, journal, implicit_tls, close_reused, *args, **kwargs):
        super().__init__(*args, **kwargs)
        journal.connections += 1
        self.journal = journal
        self.connection = journal.connections
        self.implicit_tls = implicit_tls
        self.close_reused = close_reused
        self.messages = 0

    async def smtp_MAIL(self, arg):
        """With --close-reused, a session that already carried a message is closed at the next MAIL, the
        way a relay that timed out the session answers a client that comes back too late."""
        if self.close_reused and self.messages > 0:
            self.journal.write({"closed": self.connection})
            await self.push("421 4.4.2 merzim-test-smtp Error: timeout exceeded")
            self.transport.close()
            return
        await super().smtp_MAIL(arg)


def make_authenticator(credentials):
    """An aiosmtpd authenticator that accepts exactly user:password."""
    user, _, password = credentials.partition(":")
    login_bytes, password_bytes = os.fsencode(user), os.fsencode(password)

    def authenticate(server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login == login_bytes
                and auth_data.password == password_bytes):
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)
    return authenticate


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


async def serve(args):
    journal = Journal(args.dir)
    tls_context = None
    if args.starttls or args.require_starttls or args.implicit_tls:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(os.path.join(args.dir, "server.pem"),
                                    os.path.join(args.dir, "server.key"))
    handler = Handler(journal, args.reject_rcpt, args.delay, args.delay_rcpt)
    options = dict(hostname="merzim-test-smtp", data_size_limit=None)
    if args.auth:
        options.update(authenticator=make_authenticator(args.auth), auth_required=True,
                       auth_require_tls=False)
    if tls_context and not args.implicit_tls:
        options.update(tls_context=tls_context, require_starttls=args.require_starttls)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: NumberedSMTP(journal, args.implicit_tls, args.close_reused, handler, **options),
        host="127.0.0.1", port=0, backlog=1024,
        ssl=tls_context if args.implicit_tls else None)
    write_port(args.dir, "smtp.port", server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--reject-rcpt")
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth", help="user:password")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--delay-rcpt", help="delay only the messages to this address")
    parser.add_argument("--close-reused", action="store_true", help="421 and close at a session's second MAIL")
    parser.add_argument("--parent", type=int, default=0)
    args = parser.parse_args()

    die_with_parent(args.parent)
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
