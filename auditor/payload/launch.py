"""The one shell command that starts the payload on a POSIX host.

``sh -s`` reads :func:`auditor.payload.sh.build_launcher`'s script from
stdin: the first Python found (Ansible's discovery order) runs the python
payload from a here-document, and a host without Python runs the POSIX sh
payload from the same script. One round trip either way; nothing of the
program, the plan or a become password shows in the host's process list.
"""

LAUNCH_COMMAND = "sh -s"
