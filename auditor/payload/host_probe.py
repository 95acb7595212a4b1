# auditor host probe (python flavour): measures, never judges.
#
# Contract (docs/observations.md): runs on CPython 3.6 .. 3.13 with the
# standard library only, piped to `python3 -`. auditor.payload.build_program
# replaces the PLAN_B64 line below with the base64 JSON plan, so stdin carries
# one program and no secret. Every probe of the plan runs in its own thread;
# one JSON document is printed between marker lines before plan["deadline_s"]
# elapses, whatever hangs (an unfinished probe is reported as a timeout).
# Keep this file ASCII, without f-string "=", walrus, dataclasses or
# asyncio.run: `vermin -t=3.6-` guards it in the tests.

import base64
import binascii
import errno
import hashlib
import json
import os
import platform
import re
import socket
import struct
import subprocess
import sys
import threading
import time

try:
    import ssl
except ImportError:  # a Python built without OpenSSL still probes the rest
    ssl = None

PLAN_B64 = ""  # AUDITOR-PLAN-SLOT (replaced by build_program)
BECOME_B64 = ""  # AUDITOR-BECOME-SLOT (replaced by build_program; empty: no become password)

BEGIN = "-----BEGIN AUDITOR OBSERVATIONS-----"
END = "-----END AUDITOR OBSERVATIONS-----"
OBSERVATIONS_VERSION = 1
PLAN_VERSION = 2  # auditor/profile/plan.py: the document this payload runs
MAX_PROBES = 256  # more than any sane plan; keeps threads bounded
MAX_ATTEMPTS = 4  # addresses tried per TCP/TLS target


def _codes(*names):
    return set(getattr(errno, n) for n in names if hasattr(errno, n))


REFUSED = _codes("ECONNREFUSED", "WSAECONNREFUSED")
UNREACHABLE = _codes(
    "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "WSAEHOSTUNREACH", "WSAENETUNREACH"
)
BLOCKED = _codes("EPERM", "EACCES", "WSAEACCES")
TIMEDOUT = _codes("ETIMEDOUT", "WSAETIMEDOUT")
EAI_NAMES = dict((getattr(socket, n), n) for n in dir(socket) if n.startswith("EAI_"))
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
RRTYPES = {1: "A", 5: "CNAME", 28: "AAAA"}


def now():
    return time.monotonic()


def secs(value):
    return round(max(0.0, value), 4)


# ---------------------------------------------------------------- shared


def error_fields(exc):
    """Map a socket-level exception to (status, fields): the TCP vocabulary."""
    fields = {"error": str(exc) or exc.__class__.__name__}
    if isinstance(exc, socket.timeout):
        return "timeout", fields
    code = getattr(exc, "errno", None)
    if code is not None:
        fields["errno"] = code
        fields["errno_name"] = errno.errorcode.get(code, str(code))
    if code in REFUSED:
        return "refused", fields
    if code in UNREACHABLE:
        return "unreachable", fields
    if code in BLOCKED:
        return "blocked_locally", fields
    if code in TIMEDOUT:
        return "timeout", fields
    return "error", fields


def resolve(host, port, socktype, timeout, flags=0):
    """getaddrinfo in a helper thread: a hung resolver costs at most `timeout` s.

    Returns (infos, None) or (None, fields) with status resolve_failed/timeout.
    """
    box = {}

    def run():
        try:
            box["ok"] = socket.getaddrinfo(host, port, 0, socktype, 0, flags)
        except Exception as exc:  # gaierror, UnicodeError, ...
            box["err"] = exc

    worker = threading.Thread(target=run)
    worker.daemon = True
    worker.start()
    worker.join(max(0.0, timeout))
    if "ok" in box:
        return box["ok"], None
    if "err" not in box:
        return None, {"status": "timeout", "phase": "resolve", "error": "no answer in time"}
    exc = box["err"]
    fields = {"status": "resolve_failed", "phase": "resolve", "error": str(exc)}
    if isinstance(exc, socket.gaierror):
        fields["gai_code"] = exc.errno
        fields["gai_name"] = EAI_NAMES.get(exc.errno, str(exc.errno))
        fields["error"] = exc.strerror or str(exc)
    return None, fields


def unique_addresses(infos, limit=16):
    out = []
    for info in infos:
        address = info[4][0]
        if address not in out:
            out.append(address)
    return out[:limit]


def connect_any(infos, deadline, obs):
    """Connect to the resolved addresses in order until one answers or time is up.

    Records every attempt in obs["attempts"]; the final status is "connected"
    or the last attempt's failure. Returns the connected socket or None.
    """
    obs["attempts"] = []
    for info in infos[:MAX_ATTEMPTS]:
        remaining = deadline - now()
        if remaining <= 0:
            break
        family, socktype, proto, _, sockaddr = info
        attempt = {"address": sockaddr[0]}
        obs["address"] = sockaddr[0]
        start = now()
        sock = socket.socket(family, socktype, proto)
        sock.settimeout(remaining)
        try:
            sock.connect(sockaddr)
        except (OSError, socket.timeout) as exc:
            sock.close()
            status, fields = error_fields(exc)
            attempt["status"] = status
            attempt.update(fields)
            attempt["duration_s"] = secs(now() - start)
            obs["attempts"].append(attempt)
            obs.update(fields)
            obs["status"] = status
            continue
        attempt["status"] = "connected"
        attempt["duration_s"] = secs(now() - start)
        obs["attempts"].append(attempt)
        obs["status"] = "connected"
        obs["local_address"] = sock.getsockname()[0]
        obs["connect_s"] = attempt["duration_s"]
        for key in ("error", "errno", "errno_name"):
            obs.pop(key, None)
        return sock
    if "status" not in obs:
        obs["status"] = "timeout"
        obs["error"] = "no time left to connect"
    obs["phase"] = "connect"
    return None


def target_obs(spec):
    return {"check": spec.get("check"), "host": spec.get("host"), "port": spec.get("port")}


def open_target(spec, ctx, obs):
    """Resolve and connect one plan target within probe_timeout_s; socket or None."""
    start = now()
    infos, failure = resolve(spec["host"], int(spec["port"]), socket.SOCK_STREAM, ctx["timeout"])
    obs["resolve_s"] = secs(now() - start)
    if failure is not None:
        obs.update(failure)
        return None
    obs["addresses"] = unique_addresses(infos)
    return connect_any(infos, start + ctx["timeout"], obs)


# ---------------------------------------------------------------- tcp


def probe_tcp(spec, ctx):
    obs = target_obs(spec)
    start = now()
    sock = open_target(spec, ctx, obs)
    if sock is not None:
        sock.close()
    obs["duration_s"] = secs(now() - start)
    return obs


# ---------------------------------------------------------------- udp


def probe_udp(spec, ctx):
    """Send a nonce to a reflector; only the exact datagram echoed back proves the path."""
    obs = target_obs(spec)
    timeout = ctx["timeout"]
    start = now()
    infos, failure = resolve(spec["host"], int(spec["port"]), socket.SOCK_DGRAM, timeout)
    if failure is not None:
        obs.update(failure)
        return obs
    family, socktype, proto, _, sockaddr = infos[0]
    obs["address"] = sockaddr[0]
    nonce = binascii.hexlify(os.urandom(8)).decode("ascii")
    message = ("AUDITOR1 " + nonce).encode("ascii")
    obs["nonce"] = nonce
    sock = socket.socket(family, socktype, proto)
    try:
        sock.connect(sockaddr)  # connected: ICMP errors surface, other senders are ignored
        obs["local_address"] = sock.getsockname()[0]
        obs.update(udp_exchange(sock, message, start + timeout))
    except (OSError, socket.timeout) as exc:
        status, fields = error_fields(exc)
        obs.update(fields)
        obs["status"] = status
    finally:
        sock.close()
    obs["duration_s"] = secs(now() - start)
    return obs


def udp_exchange(sock, message, deadline):
    """Send up to 3 copies spread over the time left; wait for the echo."""
    result = {"sent": 0, "status": "no_answer"}
    sends = [now() + i * max(0.0, deadline - now()) / 3.0 for i in range(3)]
    for _ in range(64):  # bounded: sends plus stray replies
        if now() >= deadline:
            break
        if sends and now() >= sends[0]:
            sends.pop(0)
            try:
                sock.send(message)
            except OSError as exc:
                status, fields = error_fields(exc)
                fields["status"] = status
                fields["sent"] = result["sent"]
                return fields
            result["sent"] += 1
        wait_until = min([deadline] + sends[:1])
        sock.settimeout(max(0.001, wait_until - now()))
        try:
            data = sock.recv(2048)
        except socket.timeout:
            continue
        except OSError as exc:
            status, fields = error_fields(exc)
            fields["status"] = status
            fields["sent"] = result["sent"]
            return fields
        if data == message:
            result["status"] = "echoed"
            return result
        result["status"] = "wrong_answer"
        result["reply_len"] = len(data)
        result["reply_hex"] = binascii.hexlify(data[:64]).decode("ascii")
    return result


# ---------------------------------------------------------------- dns


def read_resolv_conf(path):
    """Nameservers as glibc reads them: the first 3 count, the rest are ignored."""
    info = {"resolv_conf": path, "resolvers": [], "problems": []}
    try:
        with open(path, "rb") as handle:
            raw = handle.read(65536)
    except (OSError, IOError) as exc:
        info["problems"].append("cannot read %s: %s" % (path, exc.strerror or exc))
        return info
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        words = line.split()
        if not words or words[0][0] in "#;" or words[0] != "nameserver":
            continue
        if len(words) < 2 or not is_ip(words[1].split("%")[0]):
            info["problems"].append("line %d: bad nameserver line %r" % (number, line[:80]))
        elif len(info["resolvers"]) >= 3:
            info["problems"].append("line %d: ignored, only 3 nameservers are used" % number)
        else:
            info["resolvers"].append(words[1])
    if not info["resolvers"]:
        info["problems"].append("no nameserver configured")
    return info


def is_ip(text):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
            return True
        except (OSError, ValueError):
            pass
    return False


def build_query(name, qid):
    """An A query with RD set, built by hand so the id and transport are ours."""
    labels = name.rstrip(".").split(".")
    encoded = []
    for label in labels:
        raw = label.encode("ascii") if all(ord(c) < 128 for c in label) else label.encode("idna")
        if not 1 <= len(raw) <= 63:
            raise ValueError("bad DNS name %r" % name)
        encoded.append(struct.pack("!B", len(raw)) + raw)
    qname = b"".join(encoded) + b"\0"
    if len(qname) > 255:
        raise ValueError("DNS name too long")
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)


def read_name(data, offset):
    """Decode a possibly compressed name; pointers must go backwards, at most 16 jumps."""
    labels, end, jumps, total = [], None, 0, 0
    while True:
        if offset >= len(data):
            raise ValueError("name runs past the message")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise ValueError("truncated compression pointer")
            target = ((length & 0x3F) << 8) | data[offset + 1]
            if end is None:
                end = offset + 2
            if target >= offset or jumps >= 16:
                raise ValueError("bad compression pointer")
            jumps += 1
            offset = target
            continue
        if length & 0xC0:
            raise ValueError("bad label type")
        if length == 0:
            return ".".join(labels).lower(), (end if end is not None else offset + 1)
        label = data[offset + 1 : offset + 1 + length]
        total += length + 1
        if len(label) != length or total > 255:
            raise ValueError("bad label")
        labels.append(label.decode("latin-1"))
        offset += 1 + length


def parse_answer(data, qid):
    """Header, skipped question, then A/AAAA/CNAME records (capped at 64)."""
    if len(data) < 12:
        raise ValueError("answer shorter than a DNS header")
    rid, flags, qdcount, ancount = struct.unpack("!HHHH", data[:8])
    if not flags & 0x8000:
        raise ValueError("QR bit not set")
    rcode = flags & 0xF
    out = {"id_ok": rid == qid, "rcode": RCODES.get(rcode, "RCODE%d" % rcode)}
    out["truncated"] = bool(flags & 0x0200)
    offset = 12
    for _ in range(min(qdcount, 4)):
        offset = read_name(data, offset)[1] + 4
    answers = []
    for _ in range(min(ancount, 64)):
        owner, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise ValueError("record header runs past the message")
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", data[offset : offset + 10])
        offset += 10
        rdata = data[offset : offset + rdlen]
        if len(rdata) != rdlen:
            raise ValueError("record data runs past the message")
        record = {"name": owner, "type": RRTYPES.get(rtype, rtype), "ttl": ttl}
        if rtype == 1 and rdlen == 4:
            record["address"] = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == 28 and rdlen == 16:
            record["address"] = socket.inet_ntop(socket.AF_INET6, rdata)
        elif rtype == 5:
            record["target"] = read_name(data, offset)[0]
        answers.append(record)
        offset += rdlen
    out["answers"] = answers
    return out


def classify_answer(data, qid):
    try:
        out = parse_answer(data, qid)
    except (ValueError, struct.error, OSError) as exc:
        return {"status": "malformed", "error": str(exc), "reply_len": len(data)}
    if not out["id_ok"]:
        out["status"] = "id_mismatch"
    elif out["truncated"]:
        out["status"] = "truncated"
    else:
        out["status"] = "answer"
    return out


def probe_dns(spec, ctx):
    """One query to one resolver for one name over spec["transport"] (udp|tcp)."""
    obs = {"check": spec["check"], "transport": spec["transport"]}
    obs.update(resolver=spec["resolver"], name=spec["name"])
    start = now()
    qid = struct.unpack("!H", os.urandom(2))[0]
    obs["id"] = qid
    try:
        query = build_query(spec["name"], qid)
        infos = socket.getaddrinfo(
            spec["resolver"], 53, 0, socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST
        )
        exchange = dns_udp if spec["transport"] == "udp" else dns_tcp
        obs.update(exchange(infos[0], query, qid, start + ctx["timeout"]))
    except (OSError, socket.timeout) as exc:
        status, fields = error_fields(exc)
        obs.update(fields)
        obs["status"] = status
    except ValueError as exc:
        obs.update(status="error", error=str(exc))
    obs["duration_s"] = secs(now() - start)
    return obs


def dns_udp(info, query, qid, deadline):
    family, _, _, _, sockaddr = info
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.connect(sockaddr)
        resend = now() + (deadline - now()) / 2.0
        sock.send(query)
        for _ in range(8):  # bounded: one resend plus stray datagrams
            wait_until = resend if resend else deadline
            if now() >= deadline:
                break
            sock.settimeout(max(0.001, wait_until - now()))
            try:
                data = sock.recv(65535)
            except socket.timeout:
                if resend:
                    resend = None
                    sock.send(query)
                continue
            return classify_answer(data, qid)
        return {"status": "timeout", "error": "no answer in time"}
    finally:
        sock.close()


def dns_tcp(info, query, qid, deadline):
    family, _, _, _, sockaddr = info
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(max(0.001, deadline - now()))
        sock.connect(sockaddr)
        sock.sendall(struct.pack("!H", len(query)) + query)
        header = recv_exact(sock, 2, deadline)
        if len(header) < 2:
            return {"status": "malformed", "error": "connection closed before an answer"}
        length = struct.unpack("!H", header)[0]
        data = recv_exact(sock, length, deadline)
        if len(data) < length:
            return {"status": "malformed", "error": "connection closed inside the answer"}
        return classify_answer(data, qid)
    finally:
        sock.close()


def recv_exact(sock, size, deadline):
    data = b""
    for _ in range(size + 1):  # bounded: every round reads >= 1 byte or ends
        if len(data) >= size:
            break
        sock.settimeout(max(0.001, deadline - now()))
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


# ---------------------------------------------------------------- dns_system


def probe_dns_system(spec, ctx):
    """What programs on the host really get (getaddrinfo: /etc/hosts, nsswitch...)."""
    obs = {"check": spec["check"], "name": spec["name"]}
    start = now()
    infos, failure = resolve(spec["name"], None, 0, ctx["timeout"])
    if failure is None:
        obs["status"] = "resolved"
        obs["addresses"] = unique_addresses(infos)
    else:
        obs.update(failure)
    obs.pop("phase", None)
    obs["duration_s"] = secs(now() - start)
    return obs


# ---------------------------------------------------------------- tls


_VERIFY = {"lock": threading.Lock(), "context": None}


def verify_context():
    """The one verifying context of this run: the host's CA store, loaded once.

    Every TLS probe shares it (wrap_socket is thread-safe). One context per
    probe loaded the whole store each time, and OpenSSL 3 serialises that on
    global locks: it cost more CPU on the host than the handshakes.
    """
    with _VERIFY["lock"]:
        if _VERIFY["context"] is None:
            context = ssl.create_default_context()
            # 3.13 adds X509_STRICT; drop it so the verdict is the host's trust, not our Python's
            context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
            _VERIFY["context"] = context
        return _VERIFY["context"]


def probe_tls(spec, ctx):
    """Handshake with SNI against the host's own CA store; on failure, look at what was shown."""
    obs = target_obs(spec)
    start = now()
    if ssl is None:
        obs.update(status="error", error="this Python has no ssl module")
        return obs
    sock = open_target(spec, ctx, obs)
    if sock is None:
        obs["duration_s"] = secs(now() - start)
        return obs
    deadline = start + ctx["timeout"]
    context = verify_context()
    try:
        sock.settimeout(max(0.001, deadline - now()))
        tls = context.wrap_socket(sock, server_hostname=spec["host"])
    except Exception as exc:
        sock.close()
        obs.update(tls_failure(exc))
        obs["phase"] = "handshake"
        if obs["status"] == "verify_failed":
            obs["presented"] = presented_cert(spec["host"], obs, deadline)
    else:
        obs["status"] = "verified"
        obs.update(protocol=tls.version(), cipher=(tls.cipher() or [None])[0])
        cert = tls.getpeercert() or {}
        obs["issuer"] = flat_name(cert.get("issuer", ()))
        obs["subject"] = flat_name(cert.get("subject", ()))
        obs["not_after"] = cert.get("notAfter")
        obs["sans"] = ["%s:%s" % pair for pair in cert.get("subjectAltName", ())][:32]
        obs["sha256"] = hashlib.sha256(tls.getpeercert(True) or b"").hexdigest()
        tls.close()
    obs["duration_s"] = secs(now() - start)
    return obs


def tls_failure(exc):
    if isinstance(exc, ssl.CertificateError) or (
        getattr(exc, "reason", None) == "CERTIFICATE_VERIFY_FAILED"
    ):
        return {
            "status": "verify_failed",
            "verify_code": getattr(exc, "verify_code", None),
            "verify_message": getattr(exc, "verify_message", None) or str(exc),
        }
    if isinstance(exc, socket.timeout):
        return {"status": "timeout", "error": "no TLS handshake in time"}
    if isinstance(exc, ssl.SSLError):
        return {"status": "handshake_failed", "error": str(exc)}
    if isinstance(exc, OSError):
        fields = error_fields(exc)[1]
        fields["status"] = "handshake_failed"
        return fields
    return {"status": "error", "error": "%s: %s" % (exc.__class__.__name__, exc)}


def flat_name(rdns):
    out = {}
    for rdn in rdns:
        for pair in rdn:
            if len(pair) == 2:
                out[str(pair[0])] = str(pair[1])
    return out


def presented_cert(host, obs, deadline):
    """Reconnect once WITHOUT verification, only to record who signed what was shown."""
    out = {}
    try:
        infos = socket.getaddrinfo(obs["address"], int(obs["port"]), 0, socket.SOCK_STREAM)
        family, socktype, proto, _, sockaddr = infos[0]
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = socket.socket(family, socktype, proto)
        sock.settimeout(max(0.001, deadline - now()))
        try:
            sock.connect(sockaddr)
            tls = context.wrap_socket(sock, server_hostname=host)
            der = tls.getpeercert(True) or b""
            tls.close()
        finally:
            sock.close()
        out["sha256"] = hashlib.sha256(der).hexdigest()
        out.update(der_summary(der))
    except Exception as exc:  # evidence only: the verdict does not depend on it
        out["error"] = "%s: %s" % (exc.__class__.__name__, exc)
    return out


def der_tlv(data, offset, end):
    """(tag, value_start, value_end) of one DER element, bounds-checked."""
    if offset + 2 > end:
        raise ValueError("DER element runs past its parent")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4 or offset + count > end:
            raise ValueError("bad DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > end:
        raise ValueError("DER value runs past its parent")
    return tag, offset, offset + length


def der_children(data, start, end, limit):
    out, offset = [], start
    while offset < end and len(out) < limit:
        element = der_tlv(data, offset, end)
        out.append(element)
        offset = element[2]
    return out


NAME_OIDS = {b"\x55\x04\x03": "commonName", b"\x55\x04\x0a": "organizationName"}


def der_name(data, start, end):
    out = {}
    for _, set_start, set_end in der_children(data, start, end, 32):
        for _, seq_start, seq_end in der_children(data, set_start, set_end, 4):
            parts = der_children(data, seq_start, seq_end, 2)
            if len(parts) == 2 and data[parts[0][1] : parts[0][2]] in NAME_OIDS:
                tag, vstart, vend = parts[1]
                codec = "utf-16-be" if tag == 0x1E else "utf-8"
                key = NAME_OIDS[data[parts[0][1] : parts[0][2]]]
                out[key] = data[vstart:vend].decode(codec, "replace")[:200]
    return out


def der_summary(der):
    """Issuer, subject and notAfter from a DER certificate, by a bounded walk."""
    _, cert_start, cert_end = der_tlv(der, 0, len(der))
    _, tbs_start, tbs_end = der_tlv(der, cert_start, cert_end)
    fields = der_children(der, tbs_start, tbs_end, 8)
    first = 1 if fields and fields[0][0] == 0xA0 else 0  # explicit [0] version
    if len(fields) < first + 5:
        raise ValueError("certificate too short")
    issuer, validity, subject = fields[first + 2], fields[first + 3], fields[first + 4]
    times = der_children(der, validity[1], validity[2], 2)
    return {
        "issuer": der_name(der, issuer[1], issuer[2]),
        "subject": der_name(der, subject[1], subject[2]),
        "not_after": der[times[1][1] : times[1][2]].decode("ascii", "replace")
        if len(times) == 2
        else None,
    }


# ---------------------------------------------------------------- admin, teamviewer
#
# Observed on the host itself, one after the other in one thread (the
# teamviewer config may only be readable with the sudo access the admin
# section found). The become password arrives in the BECOME_B64 slot (the
# program came on stdin), is written only to sudo's stdin pipe, is scrubbed
# from anything recorded, and its buffer is zeroed when this thread ends.

CMD_CAP_S = 8.0  # one command; sudo needs ~2 s to refuse a wrong password
SUDO_DIRS = ("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin")
TV_PACKAGES = ("teamviewer-host", "teamviewer")
TV_BINARIES = ("/opt/teamviewer/tv_bin/teamviewerd", "/opt/teamviewer/tv_bin/TeamViewer")
TV_CLIS = ("/opt/teamviewer/tv_bin/script/teamviewer", "/usr/bin/teamviewer")
TV_CONFIGS = ("/etc/teamviewer/global.conf", "/opt/teamviewer/config/global.conf")
TV_DAEMON = "teamviewerd"
CONF_LINE = re.compile(r"^\s*\[\s*\w+\s*\]\s*(ClientID|Version)\s*=\s*\"?([^\"\r\n]*)\"?\s*$")
# TeamViewer's device management (its PowerShell module reads the same names)
MGMT_LINE = re.compile(
    r"^\s*\[\s*\w+\s*\]\s*DeviceManagementV2\\(ManagementId|Unmanaged)\s*=\s*\"?([^\"\r\n]*)\"?\s*$"
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def take_become_password():
    """The become password as a bytearray (caller zeroes it), or None; the slot is emptied."""
    global BECOME_B64
    text, BECOME_B64 = BECOME_B64, ""
    if not text:
        return None
    return bytearray(base64.b64decode(text.encode("ascii")))


def zero(buf):
    if buf is not None:
        for i in range(len(buf)):
            buf[i] = 0


def scrub(text, secret):
    """One line, at most 200 chars, with the secret (if any) masked."""
    if secret:
        try:
            text = text.replace(bytes(secret).decode("utf-8", "replace"), "***")
        except Exception:
            text = "(output withheld)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else "")[:200]


def run_cmd(argv, deadline, secret=None, feed_secret=False):
    """Run argv (no shell) in the C locale within min(CMD_CAP_S, time left).

    With feed_secret the secret plus a newline goes to the child's stdin
    pipe, never to argv or the environment. Returns a dict: status
    ran|absent|timeout|error, exit_status, stdout (text), error (one line).
    """
    timeout = min(CMD_CAP_S, deadline - now())
    if timeout <= 0:
        return {"status": "timeout", "error": "no time left"}
    env = dict(os.environ)
    env.update(LC_ALL="C", LANG="C", LANGUAGE="C")
    buf = None
    if feed_secret:
        buf = bytearray(secret)
        buf.extend(b"\n")
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if buf is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
    except OSError as exc:
        zero(buf)
        status = "absent" if exc.errno == errno.ENOENT else "error"
        return {"status": status, "error": scrub(str(exc), secret)}
    try:
        out, err = proc.communicate(buf, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"status": "timeout", "error": "no result within %.1fs" % timeout}
    finally:
        zero(buf)
    return {
        "status": "ran",
        "exit_status": proc.returncode,
        "stdout": out.decode("utf-8", "replace"),
        "error": scrub(err.decode("utf-8", "replace"), secret),
    }


def classify_sudo(result):
    """sudo's answer -> ok|needs_password|wrong_password|denied|timeout|error (C locale text).

    "message" is sudo's last stderr line (also on success: warnings).
    """
    out = {"status": result["status"], "message": result.get("error", "")}
    if result["status"] != "ran":
        return out
    out["exit_status"] = result["exit_status"]
    text = out["message"].lower()
    if result["exit_status"] == 0:
        out["status"] = "ok"
    elif "incorrect password" in text or "sorry, try again" in text:
        out["status"] = "wrong_password"
    elif "password is required" in text:
        out["status"] = "needs_password"
    elif "not in the sudoers" in text or "not allowed" in text or "may not run sudo" in text:
        out["status"] = "denied"
    else:
        out["status"] = "error"
    return out


def find_sudo():
    for directory in os.environ.get("PATH", "").split(os.pathsep) + list(SUDO_DIRS):
        path = os.path.join(directory or ".", "sudo")
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def account():
    """uid, euid, user and group names of the login (pwd/grp are POSIX only)."""
    obs = {"uid": os.getuid(), "euid": os.geteuid()}
    try:
        import grp
        import pwd

        obs["user"] = pwd.getpwuid(obs["euid"]).pw_name
        gids = set(os.getgroups()) | set([os.getegid()])
        obs["groups"] = sorted(set(gid_name(grp, gid) for gid in gids))[:64]
    except (ImportError, KeyError) as exc:
        obs["user"] = None
        obs["problems"] = ["account names unknown: %s" % exc]
    return obs


def gid_name(grp, gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def probe_admin(secret, deadline):
    """Observe uid and sudo; returns (observation, access) with access uid0|nopasswd|password|None."""
    obs = {"check": "admin", "become_password_given": secret is not None}
    obs.update(account())
    if obs["euid"] == 0:
        return obs, "uid0"
    sudo = find_sudo()
    obs["sudo_path"] = sudo
    if sudo is None:
        obs["sudo_nopasswd"] = {"status": "absent", "message": "no sudo on PATH"}
        return obs, None
    obs["sudo_nopasswd"] = classify_sudo(run_cmd([sudo, "-n", "true"], deadline))
    if obs["sudo_nopasswd"]["status"] == "ok":
        return obs, "nopasswd"
    if secret is None or obs["sudo_nopasswd"]["status"] != "needs_password":
        return obs, None
    argv = [sudo, "-S", "-k", "-p", "", "true"]
    obs["sudo_password"] = classify_sudo(run_cmd(argv, deadline, secret, True))
    return obs, ("password" if obs["sudo_password"]["status"] == "ok" else None)


def tv_packages(deadline):
    """dpkg-query, else rpm: which of TV_PACKAGES is installed, with its version."""
    dpkg = which("dpkg-query")
    if dpkg:
        fmt = "-f=${Package}\\t${Status}\\t${Version}\\n"
        result = run_cmd([dpkg, "-W", fmt] + list(TV_PACKAGES), deadline)
        return packages_from(result, "dpkg", dpkg_line)
    rpm = which("rpm")
    if rpm:
        fmt = "%{NAME}\\t%{VERSION}-%{RELEASE}\\n"
        result = run_cmd([rpm, "-q", "--qf", fmt] + list(TV_PACKAGES), deadline)
        return packages_from(result, "rpm", rpm_line)
    return {"manager": None, "status": "no_manager", "installed": {}}


def packages_from(result, manager, parse):
    obs = {"manager": manager, "status": "ok", "installed": {}}
    if result["status"] != "ran":
        obs.update(status=result["status"], error=result.get("error"))
        return obs
    for line in result["stdout"].splitlines()[:16]:
        found = parse(line)
        if found and found[0] in TV_PACKAGES:
            obs["installed"][found[0]] = found[1]
    if result["exit_status"] not in (0, 1) and not obs["installed"]:
        obs.update(status="error", error=result["error"])
    return obs


def dpkg_line(line):
    parts = line.split("\t")
    if len(parts) == 3 and parts[1].split()[-1:] == ["installed"]:
        return parts[0], parts[2]
    return None


def rpm_line(line):
    parts = line.split("\t")
    return (parts[0], parts[1]) if len(parts) == 2 else None


def which(name):
    for directory in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)[:32]:
        path = os.path.join(directory or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def read_small(path, limit=4096):
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")


def systemd_booted():
    """systemd is PID 1 here (sd_booted): only then does systemctl say what runs."""
    try:
        return read_small("/proc/1/comm").strip() == "systemd" and os.path.isdir(
            "/run/systemd/system"
        )
    except (OSError, IOError):
        return False


def proc_hidden(proc_root="/proc"):
    """True when /proc is mounted with hidepid, i.e. other users' processes are invisible."""
    try:
        for line in read_small(proc_root + "/self/mountinfo", 1 << 20).splitlines():
            fields = line.split(" - ")
            if len(fields) == 2 and fields[0].split()[4:5] == ["/proc"]:
                opts = fields[1].split()[-1].split(",")
                return any(o.startswith("hidepid=") and o[8:] not in ("0", "off") for o in opts)
    except (OSError, IOError, IndexError):
        pass
    return False


def scan_proc(name, proc_root="/proc", limit=65536):
    """Pids whose comm, or argv[0]'s basename, is `name` (bounded scan of proc_root)."""
    found = []
    try:
        entries = os.listdir(proc_root)[:limit]
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            comm = read_small("%s/%s/comm" % (proc_root, entry), 64).strip()
            argv0 = read_small("%s/%s/cmdline" % (proc_root, entry), 4096).split("\0")[0]
        except (OSError, IOError):
            continue  # exited meanwhile
        if comm == name or os.path.basename(argv0) == name:
            found.append(int(entry))
    return sorted(found)


def tv_service(deadline, privileged):
    """Is teamviewerd running: systemctl when systemd is PID 1, else the process table."""
    pids = scan_proc(TV_DAEMON)
    obs = {"pids": (pids or [])[:16], "process_table": pids is not None}
    obs["complete"] = pids is not None and (privileged or not proc_hidden())
    if systemd_booted() and which("systemctl"):
        result = run_cmd(["systemctl", "is-active", TV_DAEMON + ".service"], deadline)
        state = result.get("stdout", "").strip().split("\n")[0]
        obs.update(method="systemd", state=state or result["status"])
        obs["running"] = state == "active" if result["status"] == "ran" else None
        return obs
    obs["method"] = "proc"
    obs["running"] = bool(pids) if (pids or obs["complete"]) else None
    return obs


def tv_config(path, access, secret, deadline):
    """ClientID and Version from one global.conf: read directly, else through sudo."""
    item = {"path": path, "exists": os.path.exists(path), "readable": False, "via": None}
    if not item["exists"]:
        return item
    text = None
    try:
        text, item["via"] = read_small(path, 1 << 18), "direct"
    except (OSError, IOError) as exc:
        item["error"] = "%s" % (exc.strerror or exc)
    sudo = find_sudo()
    if text is None and sudo and access in ("nopasswd", "password"):
        if access == "nopasswd":
            result = run_cmd([sudo, "-n", "cat", "--", path], deadline)
        else:
            result = run_cmd(
                [sudo, "-S", "-k", "-p", "", "cat", "--", path], deadline, secret, True
            )
        if result["status"] == "ran" and result["exit_status"] == 0:
            text, item["via"] = result["stdout"], "sudo_" + access
        else:
            item["sudo_error"] = result.get("error") or result["status"]
    if text is not None:
        item["readable"] = True
        item["management_id"] = item["unmanaged"] = None
        for line in text.splitlines()[:4096]:  # only these keys: the file holds secrets too
            match = CONF_LINE.match(line)
            if match:
                item["client_id" if match.group(1) == "ClientID" else "version"] = match.group(2)
            match = MGMT_LINE.match(line)
            if match and match.group(1) == "ManagementId":
                item["management_id"] = match.group(2).strip() or None
            elif match:
                item["unmanaged"] = match.group(2).strip() not in ("", "0")
    return item


def tv_info(deadline):
    """`teamviewer info` when the CLI exists: ID and version as it prints them."""
    cli = which("teamviewer") or next((p for p in TV_CLIS if os.path.isfile(p)), None)
    if cli is None:
        return {"status": "absent"}
    result = run_cmd([cli, "info"], deadline)
    obs = {"cli": cli, "status": result["status"], "exit_status": result.get("exit_status")}
    text = ANSI.sub("", result.get("stdout", ""))
    found = re.search(r"TeamViewer ID:\s*(\d+)", text)
    obs["client_id"] = found.group(1) if found else None
    found = re.search(r"TeamViewer\s+(\d+(?:\.\d+)+)", text)
    obs["version"] = found.group(1) if found else None
    if result["status"] != "ran" or result["exit_status"] != 0:
        obs["error"] = result.get("error")
    return obs


def probe_teamviewer(access, secret, deadline):
    obs = {"check": "teamviewer", "packages": tv_packages(deadline)}
    obs["binaries"] = [p for p in TV_BINARIES if os.path.isfile(p)]
    obs["service"] = tv_service(deadline, access is not None)
    obs["config"] = [tv_config(p, access, secret, deadline) for p in TV_CONFIGS]
    obs["info"] = tv_info(deadline)
    return obs


def run_host_sections(plan, box, stop):
    """admin, then teamviewer (which may need the sudo access admin found), into box."""
    secret = take_become_password()
    try:
        if "admin" in plan or "teamviewer" in plan:
            obs, access = probe_admin(secret, stop)
            if "admin" in plan:
                box["admin"] = obs
            if "teamviewer" in plan:
                box["teamviewer"] = probe_teamviewer(access, secret, stop)
    except Exception as exc:  # a payload bug must not cost the network probes
        for key in ("admin", "teamviewer"):
            if key in plan and key not in box:
                box[key] = {"check": key, "status": "error", "error": "payload: %s" % exc}
    finally:
        zero(secret)
        secret = None


# ---------------------------------------------------------------- run


PROBES = {
    "tcp": probe_tcp,
    "udp": probe_udp,
    "tls": probe_tls,
    "dns": probe_dns,
    "dns_system": probe_dns_system,
}


def expand(plan, doc):
    """(section, spec) for every single probe the plan asks for, in order."""
    jobs = []
    for section in ("tcp", "udp", "tls"):
        for spec in plan.get(section) or ():
            jobs.append((section, spec))
    dns = plan.get("dns")
    if dns is not None:
        doc["dns"] = read_resolv_conf(dns.get("resolv_conf") or "/etc/resolv.conf")
        doc["dns"].update(checks=list(dns.get("checks") or ()), queries=[])
        transports = dns.get("transport") or {}
        for check in dns.get("checks") or ():
            transport = "tcp" if transports.get(check) == "tcp" else "udp"
            for resolver in doc["dns"]["resolvers"]:
                for name in dns.get("names") or ():
                    spec = {"check": check, "transport": transport}
                    spec.update(resolver=resolver, name=name)
                    jobs.append(("dns", spec))
    system = plan.get("dns_system")
    if system is not None:
        for name in system.get("names") or ():
            jobs.append(("dns_system", {"check": system.get("check"), "name": name}))
    return jobs


def run_job(section, spec, ctx, results, slot):
    try:
        obs = PROBES[section](spec, ctx)
    except Exception as exc:  # a payload bug must not cost the other probes
        obs = dict(spec)
        obs.update(status="error", error="payload: %s: %s" % (exc.__class__.__name__, exc))
    results[slot] = obs


def unfinished(spec):
    obs = dict(spec)
    obs.update(
        status="timeout", phase="deadline", error="did not finish before the payload deadline"
    )
    return obs


def run_plan(plan, doc, started):
    deadline_s = float(plan.get("deadline_s", 20.0))
    ctx = {"timeout": min(float(plan.get("probe_timeout_s", 4.0)), deadline_s)}
    stop = started + deadline_s - min(1.0, deadline_s * 0.1)
    jobs = expand(plan, doc)
    if len(jobs) > MAX_PROBES:
        doc["problems"] = ["plan asks for %d probes, only %d run" % (len(jobs), MAX_PROBES)]
        jobs = jobs[:MAX_PROBES]
    results = [None] * len(jobs)
    box = {}
    host = threading.Thread(target=run_host_sections, args=(plan, box, stop))
    host.daemon = True
    host.start()
    threads = [host]
    for slot, (section, spec) in enumerate(jobs):
        worker = threading.Thread(target=run_job, args=(section, spec, ctx, results, slot))
        worker.daemon = True
        worker.start()
        threads.append(worker)
    for worker in threads:
        worker.join(max(0.0, stop - now()))
    snapshot = list(results)
    done = dict(box)
    for key in ("admin", "teamviewer"):
        if key in plan:
            doc[key] = done.get(key) or unfinished({"check": key})
    for slot, (section, spec) in enumerate(jobs):
        obs = snapshot[slot] if snapshot[slot] is not None else unfinished(spec)
        if section == "dns":
            doc["dns"]["queries"].append(obs)
        elif section == "dns_system":
            doc["dns_system"]["results"].append(obs)
        else:
            doc[section].append(obs)


def new_document(plan, started_at):
    doc = {
        "observations_version": OBSERVATIONS_VERSION,
        "payload": "python",
        "python": platform.python_version(),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "uid": os.getuid() if hasattr(os, "getuid") else None,
        "started_at": started_at,
        "plan_version": plan.get("plan_version"),
    }
    for section in ("tcp", "udp", "tls"):
        if section in plan:
            doc[section] = []
    if "dns_system" in plan:
        doc["dns_system"] = {"check": plan["dns_system"].get("check"), "results": []}
    return doc


def load_plan():
    text = PLAN_B64
    if not text and len(sys.argv) > 1:  # manual use: python3 host_probe.py plan.json
        with open(sys.argv[1], "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    return json.loads(base64.b64decode(text.encode("ascii")).decode("utf-8"))


def too_old():
    """Python 2 or < 3.6 (`python` may be Python 2): say so in a document, measure nothing."""
    doc = {"observations_version": OBSERVATIONS_VERSION, "payload": "python"}
    doc["python"] = platform.python_version()
    doc["error"] = "Python %s is too old for the probe (3.6 or newer needed)" % doc["python"]
    sys.stdout.write(BEGIN + "\n" + json.dumps(doc, sort_keys=True) + "\n" + END + "\n")
    sys.stdout.flush()


def main():
    if sys.version_info < (3, 6):
        return too_old()
    started = now()
    started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    try:
        plan = load_plan()
        if not isinstance(plan, dict) or plan.get("plan_version") != PLAN_VERSION:
            raise ValueError("unsupported plan (plan_version must be %d)" % PLAN_VERSION)
    except Exception as exc:
        doc = new_document({}, started_at)
        doc["error"] = "bad plan: %s: %s" % (exc.__class__.__name__, exc)
    else:
        doc = new_document(plan, started_at)
        run_plan(plan, doc, started)
    doc["duration_s"] = secs(now() - started)
    text = json.dumps(doc, sort_keys=True, ensure_ascii=True, allow_nan=False, default=str)
    sys.stdout.write(BEGIN + "\n" + text + "\n" + END + "\n")
    sys.stdout.flush()
    os._exit(0)  # do not wait for probes that still hang (daemon threads)


if __name__ == "__main__":
    main()
