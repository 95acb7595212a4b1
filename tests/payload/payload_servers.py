"""Real loopback servers the payload probes in tests: DNS, UDP echo, TLS, TCP.

Everything binds 127.0.0.0/8 only. Every serving loop polls a stop event
with a short socket timeout, so ``close()`` ends it within ~0.2 s.
"""

from __future__ import annotations

import datetime
import os
import random
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

POLL_S = 0.2


class Server:
    """A socket plus the thread serving it; ``close()`` stops both."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.sockets: list[socket.socket] = []

    def spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(2)
        for sock in self.sockets:
            sock.close()


def random_loopback(second: int) -> str:
    return f"127.{second}.{random.randint(1, 254)}.{random.randint(1, 254)}"


# ---------------------------------------------------------------- DNS

A_OK = "198.51.100.7"


def _name(labels: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in labels.split(".")) + b"\0"


def _a(owner: bytes, address: str) -> bytes:
    return owner + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(address)


def query_name(query: bytes) -> str:
    """The question's name of a DNS query (uncompressed, as every client sends it)."""
    labels, offset = [], 12
    while query[offset]:
        labels.append(query[offset + 1 : offset + 1 + query[offset]].decode())
        offset += 1 + query[offset]
    return ".".join(labels)


def dns_reply(query: bytes, transport: str) -> bytes | None:
    """The scripted answer for the query's name (see the table in the code)."""
    qid = struct.unpack("!H", query[:2])[0]
    end = query.index(b"\0", 12) + 5
    name, question = query_name(query), query[12:end]
    flags, rcode, answers, count = 0x8180, 0, b"", 0
    ptr = b"\xc0\x0c"  # compression pointer to the question name
    if name in ("ok.test", "sys.test"):
        answers, count = _a(ptr, A_OK), 1
    elif name == "www.test":  # CNAME chain www.test -> ok.test -> A
        target = _name("ok.test")
        cname = ptr + struct.pack("!HHIH", 5, 1, 60, len(target)) + target
        target_ptr = struct.pack("!H", 0xC000 | (12 + len(question) + len(ptr) + 10))
        answers, count = cname + _a(target_ptr, A_OK), 2
    elif name == "sinkhole.test":
        answers, count = _a(ptr, "0.0.0.0"), 1
    elif name == "nx.test":
        rcode = 3
    elif name == "servfail.test":
        rcode = 2
    elif name == "refused.test":
        rcode = 5
    elif name == "badid.test":
        qid ^= 0xFFFF
        answers, count = _a(ptr, A_OK), 1
    elif name == "tc.test" and transport == "udp":
        flags |= 0x0200
    elif name == "tc.test":
        answers, count = _a(ptr, A_OK), 1
    elif name == "silent.test":
        return None
    elif name == "garbage.test":
        return b"\x00\x01"
    elif name == "loop.test":  # an answer whose owner name points at itself
        answers = struct.pack("!H", 0xC000 | (12 + len(question)))
        count = 1
    header = struct.pack("!HHHHHH", qid, flags | rcode, 1, count, 0, 0)
    return header + question + answers


class DnsServer(Server):
    """UDP and TCP on ``address``:53 (root needed), answering from :func:`dns_reply`.

    ``seen`` records (transport, name) of every query that arrived, so a test can
    prove over which transport a name was really asked.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []
        for _ in range(20):  # bounded: find a free random loopback address
            self.address = random_loopback(53)
            try:
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                udp.bind((self.address, 53))
                tcp = socket.socket()
                tcp.bind((self.address, 53))
                break
            except OSError:
                continue
        else:
            raise RuntimeError("no free loopback address for the test DNS server")
        tcp.listen(16)
        for sock in (udp, tcp):
            sock.settimeout(POLL_S)
            self.sockets.append(sock)
        self.spawn(self._serve_udp, udp)
        self.spawn(self._serve_tcp, tcp)

    def _serve_udp(self, sock: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                query, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            self.seen.append(("udp", query_name(query)))
            reply = dns_reply(query, "udp")
            if reply is not None:
                sock.sendto(reply, peer)

    def _serve_tcp(self, sock: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            self.spawn(self._one_tcp, conn)

    def _one_tcp(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(3)
            try:
                size = struct.unpack("!H", conn.recv(2))[0]
                query = conn.recv(size)
                self.seen.append(("tcp", query_name(query)))
                reply = dns_reply(query, "tcp")
                if reply is None:
                    self.stop.wait(3)
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)
            except (OSError, struct.error):
                return


# ---------------------------------------------------------------- UDP


class UdpResponder(Server):
    """Echoes every datagram (``echo=True``) or answers with something else."""

    def __init__(self, echo: bool) -> None:
        super().__init__()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(POLL_S)
        self.sockets.append(sock)
        self.port = sock.getsockname()[1]
        self.spawn(self._serve, sock, echo)

    def _serve(self, sock: socket.socket, echo: bool) -> None:
        while not self.stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            sock.sendto(data if echo else b"not your nonce", peer)


def free_port(kind: int) -> int:
    """A port nobody listens on right now (for refused / ICMP port unreachable)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- TCP


class TcpServers:
    """``open`` accepts; ``closed`` is bound without listen (RST); ``full`` drops SYNs."""

    def __init__(self) -> None:
        self.open_sock = socket.socket()
        self.open_sock.bind(("127.0.0.1", 0))
        self.open_sock.listen(64)
        self.closed_sock = socket.socket()
        self.closed_sock.bind(("127.0.0.1", 0))
        self.full_sock = socket.socket()
        self.full_sock.bind(("127.0.0.1", 0))
        self.full_sock.listen(0)
        self.filler = socket.create_connection(self.full_sock.getsockname(), timeout=1)
        self.open = self.open_sock.getsockname()[1]
        self.closed = self.closed_sock.getsockname()[1]
        self.full = self.full_sock.getsockname()[1]

    def close(self) -> None:
        for sock in (self.filler, self.open_sock, self.closed_sock, self.full_sock):
            sock.close()


# ---------------------------------------------------------------- TLS


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name | None, Any],
    san: str | None,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, subject),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Auditor Tests"),
        ]
    )
    issuer_name, issuer_key = (name, key) if issuer[0] is None else (issuer[0], issuer[1])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(directory: Path) -> dict[str, Path]:
    """A trusted CA, a rogue CA, and leaf certs: good (localhost), wrong-name, rogue."""
    out: dict[str, Path] = {}
    cas = {}
    for ca_name in ("Auditor Test CA", "Auditor Rogue CA"):
        key = ec.generate_private_key(ec.SECP256R1())
        cas[ca_name] = (_cert(ca_name, key, (None, None), None, True), key)
    pem = serialization.Encoding.PEM
    out["ca"] = directory / "ca.pem"
    out["ca"].write_bytes(cas["Auditor Test CA"][0].public_bytes(pem))
    for leaf, ca_name, san in (
        ("good", "Auditor Test CA", "localhost"),
        ("wrong_name", "Auditor Test CA", "wrong.test"),
        ("rogue", "Auditor Rogue CA", "localhost"),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        ca_cert, ca_key = cas[ca_name]
        cert = _cert(san, key, (ca_cert.subject, ca_key), san, False)
        path = directory / f"{leaf}.pem"
        path.write_bytes(
            cert.public_bytes(pem)
            + key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        out[leaf] = path
    return out


class TlsServer(Server):
    """Completes TLS handshakes with ``cert_file``; records the SNI names it saw."""

    def __init__(self, cert_file: Path) -> None:
        super().__init__()
        self.sni: list[str | None] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file)
        context.sni_callback = lambda _s, name, _c: self.sni.append(name)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.settimeout(POLL_S)
        self.sockets.append(sock)
        self.port = sock.getsockname()[1]
        self.spawn(self._serve, sock, context)

    def _serve(self, sock: socket.socket, context: ssl.SSLContext) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(3)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                conn.close()


# ---------------------------------------------------------------- running the payload


def run_payload(
    python: str, program: bytes, resolv_conf: Path, cert_file: Path | None, timeout: float = 30
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -`` with ``program`` on stdin, as the transport does.

    The process gets a private mount namespace whose /etc/resolv.conf is
    ``resolv_conf`` (as ``ip netns exec`` would give it), so the system
    resolver asks the test DNS server and no query leaves this machine.
    """
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if cert_file is not None:
        env["SSL_CERT_FILE"] = str(cert_file)  # the host's CA store, for this test
    script = 'mount --bind "$1" /etc/resolv.conf && exec "$0" -'
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", script, python, str(resolv_conf)],
        input=program,
        capture_output=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@dataclass
class World:
    dns: DnsServer
    dead_resolver: str
    echo: UdpResponder
    wrong: UdpResponder
    tcp: TcpServers
    tls_good: TlsServer
    tls_wrong_name: TlsServer
    tls_rogue: TlsServer
    pki: dict[str, Path]
    resolv_conf: Path
