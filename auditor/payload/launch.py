"""The one shell command that starts the payload on a POSIX host.

The program arrives on stdin, so nothing of it (nor of the plan) shows in
the host's process list. The first Python found runs it; the order mirrors
Ansible's interpreter discovery. Exit 127 with a marker on stderr means no
Python was found (the sh payload will take over there).
"""

NO_PYTHON_MARKER = "AUDITOR-NO-PYTHON"

LAUNCH_COMMAND = (
    "for p in python3 python /usr/libexec/platform-python /usr/bin/python3; do "
    'command -v "$p" >/dev/null 2>&1 && exec "$p" -; done; '
    f"echo {NO_PYTHON_MARKER} >&2; exit 127"
)
