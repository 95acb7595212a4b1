"""A hostile (or compromised) lab host: sshd's ForceCommand, instead of running the payload.

``python3 hostile.py MODE`` answers the auditor's session the way a broken or
malicious host might. It runs with the host's own ``/usr/bin/python3`` and
only the standard library (it is a host's program, not the auditor's). Every
loop is bounded.

Modes:
  flood       4 GB of output as fast as the channel takes it
  endless     a line every 50 ms for ten minutes (never finishes in time)
  badutf8     a framed document that is not UTF-8
  nested      a framed document nested 200,000 levels deep
  markers     two begin markers, one end marker
  schema      a framed JSON object of the wrong shape (extra keys, a section missing)
  escapes     a well-formed document whose every string carries HTML, script and terminal
              escape sequences, the same on stderr, exit status 3
  fakename    a well-formed document naming a payload the auditor does not have
  exit3       nothing on stdout, a line on stderr, exit status 3
  disconnect  half a document, then the SSH session is killed mid-stream
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

BEGIN = b"-----BEGIN AUDITOR OBSERVATIONS-----"
END = b"-----END AUDITOR OBSERVATIONS-----"
STARTED = "AUDITOR-PAYLOAD-STARTED"  # auditor/payload/launch.py's start marker
NASTY = (
    '<script>alert("x")</script><img src=x onerror=alert(1)>\x1b]0;owned\x07\x1b[2J\x1b[31m&amp;'
)
MODES = ("flood", "endless", "badutf8", "nested", "markers", "schema", "escapes", "fakename",
         "exit3", "disconnect")  # fmt: skip


def _out(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _session_sshd() -> int:
    """The sshd process of this session (the shell that ran us may sit in between)."""
    pid = os.getppid()
    for _ in range(4):
        with open(f"/proc/{pid}/comm", encoding="ascii", errors="replace") as comm:
            if comm.read().strip().startswith("sshd"):
                return pid
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            pid = int(stat.read().rsplit(")", 1)[1].split()[1])
    return os.getppid()


def main(mode: str) -> int:
    sys.stdin.buffer.read()  # take the program the auditor sends, as a shell would
    sys.stderr.write(STARTED + "\n")  # as the real launcher does: the host "runs" our command
    sys.stderr.flush()
    if mode == "flood":
        block = b"A" * 65536
        for _ in range(65536):  # 4 GB at most
            _out(block)
        return 0
    if mode == "endless":
        for n in range(12000):  # ten minutes at most
            _out(f"still working {n}\n".encode())
            time.sleep(0.05)
        return 0
    if mode == "badutf8":
        _out(BEGIN + b'\n{"payload": "\xff\xfe"}\n' + END + b"\n")
        return 0
    if mode == "nested":
        _out(BEGIN + b"\n" + b"[" * 200000 + b"]" * 200000 + b"\n" + END + b"\n")
        return 0
    if mode == "markers":
        _out(BEGIN + b"\n" + BEGIN + b"\n{}\n" + END + b"\n")
        return 0
    if mode == "schema":
        doc = {"observations_version": 1, "payload": "python", "tcp": {"not": "a list"},
               "surprise": [1, 2, 3]}  # fmt: skip
        _out(BEGIN + b"\n" + json.dumps(doc).encode() + b"\n" + END + b"\n")
        return 0
    if mode == "escapes":
        item = {"check": "tcp_80", "host": NASTY, "port": 80, "status": NASTY, "error": NASTY}
        doc = {"observations_version": 1, "payload": "python", "error": NASTY,
               "tcp": [item], "tls": [dict(item, check="tls_443")],
               "dns": {"queries": [{"name": NASTY, "status": NASTY}]}}  # fmt: skip
        _out(NASTY.encode() + b"\n" + BEGIN + b"\n" + json.dumps(doc).encode() + b"\n")
        _out(END + b"\n")
        sys.stderr.write(NASTY + "\n")
        return 3
    if mode == "fakename":
        doc = {"observations_version": 1, "payload": NASTY, "tcp": [], "dns": {"queries": []}}
        _out(BEGIN + b"\n" + json.dumps(doc).encode() + b"\n" + END + b"\n")
        return 0
    if mode == "exit3":
        sys.stderr.write("payload crashed: out of cheese\n")
        return 3
    if mode == "disconnect":
        _out(BEGIN + b'\n{"observations_version": 1, "payload": "py')
        time.sleep(0.2)
        os.kill(_session_sshd(), signal.SIGKILL)  # the connection drops mid-stream
        return 0
    sys.stderr.write(f"hostile.py: unknown mode {mode!r}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
