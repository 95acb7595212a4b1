"""The lab's own CPU seconds, apart from the controller's and from the rest of the machine.

Every lab process (sshd, the logins and payloads it forks, the resolvers,
the internet listeners) is moved into a cgroup of its own; what they fork
later is born there, and the kernel counts their CPU there even after they
exit. cgroup v2 (``cpu.stat``) and v1 (``cpuacct.usage``) both work; where
neither can be written the figure falls back to "the machine's CPU minus the
command's own", which also counts whatever else ran meanwhile, and says so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from auditor.lab.netns import pids_in


def machine_cpu_s() -> float:
    """All CPU seconds the machine spent so far (user + system, every core)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = sum(int(x) for x in fields[:3]) + sum(int(x) for x in fields[5:8])
    return ticks / os.sysconf("SC_CLK_TCK")


def _cgroup_roots() -> list[tuple[Path, str]]:
    """Writable places for a new cgroup, with the file that counts its CPU."""
    found: list[tuple[Path, str]] = []
    for line in Path("/proc/mounts").read_text().splitlines():
        _, where, kind, options, *_ = line.split()
        if kind == "cgroup2":
            found.append((Path(where), "cpu.stat"))
        elif kind == "cgroup" and "cpuacct" in options.split(","):
            found.append((Path(where), "cpuacct.usage"))
    return found


class LabCpu:
    """``with LabCpu(namespaces) as cpu: ... cpu.seconds()``: the lab's CPU so far."""

    def __init__(self, namespaces: Sequence[str]) -> None:
        self._namespaces = tuple(namespaces)
        self._group: Path | None = None
        self._root = Path()
        self._counter = ""
        self.kind = "machine CPU minus the command's own (no writable cgroup)"

    def __enter__(self) -> LabCpu:
        for root, counter in _cgroup_roots():
            group = root / f"auditor-bench-{os.getpid()}"
            try:
                group.mkdir(exist_ok=True)
                procs = group / "cgroup.procs"
                for pid in pids_in(self._namespaces):
                    try:
                        procs.write_text(str(pid))
                    except ProcessLookupError:
                        continue  # exited meanwhile
                (group / counter).read_text()
            except OSError:
                self._remove(group, root)
                continue
            self._group, self._counter, self._root = group, counter, root
            self.kind = f"the lab's own processes (cgroup {counter})"
            break
        return self

    def seconds(self) -> float | None:
        """CPU seconds the lab's processes spent so far; None without a cgroup."""
        if self._group is None:
            return None
        text = (self._group / self._counter).read_text()
        if self._counter == "cpu.stat":
            usage = next(line for line in text.splitlines() if line.startswith("usage_usec"))
            return int(usage.split()[1]) / 1e6
        return int(text) / 1e9

    def __exit__(self, *_: object) -> None:
        if self._group is not None:
            self._remove(self._group, self._root)

    @staticmethod
    def _remove(group: Path, root: Path) -> None:
        """Hand any process still inside back to the root group, then remove the group."""
        try:
            for pid in (group / "cgroup.procs").read_text().split():
                try:
                    (root / "cgroup.procs").write_text(pid)
                except OSError:
                    continue
            group.rmdir()
        except OSError:
            pass  # already gone, or never made
