"""The one command that starts the payload on a POSIX host.

It picks the interpreter, and stdin carries one document that is both a
POSIX sh script and a Python program (:func:`auditor.payload.sh.build_launcher`):
the first Python found (Ansible's discovery order) reads the whole document as
its program; without one, ``sh -s`` runs the sh half and exits before the
Python half. One round trip either way, nothing of the program, the plan or a
become password in the host's process list, and neither ever written to the
host's disk (a here-document would be a temporary file under bash).

Wrapped in ``sh -c '...'`` so that a login shell of any kind (csh, fish,
BusyBox ash) runs the same POSIX loop. Its first act is :data:`STARTED` on
stderr, which tells the controller the host really runs the command.
"""

PYTHONS = ("python3", "python", "/usr/libexec/platform-python", "/usr/bin/python3")
# Written to stderr first thing: the host's shell started our command. Without it the
# controller knows within seconds that a host hangs after the login (a forced command).
STARTED = b"AUDITOR-PAYLOAD-STARTED"

LAUNCH_COMMAND = (
    "sh -c '"
    f"echo {STARTED.decode()} >&2; "
    f"for p in {' '.join(PYTHONS)}; do "
    'q=$(command -v "$p" 2>/dev/null) || continue; '
    'if [ -f "$q" ] && [ -x "$q" ]; then exec "$q" -; fi; '
    "done; exec sh -s'"
)
