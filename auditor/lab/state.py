"""What a lab created, on disk, so any later process can tear it down.

Two copies of one JSON document: ``<state dir>/lab-state.json`` (for ``down
--state DIR``) and ``/run/auditor-lab/<prefix>.json`` (the registry ``up`` and
``down --all-stale`` scan). The registry entry is written *before* the first
namespace exists and removed *after* the last one is gone, so a crash at any
point leaves something that names what to clean.

A lab has an owner: the process that built it (a pytest session) or none
(``python -m auditor.lab up``: persistent until ``down``). A lab whose owner is
dead is stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from auditor.lab import netns, procs
from auditor.lab.procs import Proc
from auditor.lab.spec import LabError

REGISTRY = Path("/run/auditor-lab")
STATE_FILE = "lab-state.json"


@dataclass(frozen=True, slots=True)
class LabState:
    """Everything one lab created: namespaces, processes (pid + group), files."""

    prefix: str
    state_dir: str
    owner_pid: int | None
    owner_ticks: int | None
    namespaces: tuple[str, ...] = ()
    procs: tuple[Proc, ...] = ()
    files: tuple[str, ...] = field(default=())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> LabState:
        try:
            raw = json.loads(text)
            return cls(
                prefix=raw["prefix"],
                state_dir=raw["state_dir"],
                owner_pid=raw["owner_pid"],
                owner_ticks=raw["owner_ticks"],
                namespaces=tuple(raw["namespaces"]),
                procs=tuple(Proc(**{**p, "argv": tuple(p["argv"])}) for p in raw["procs"]),
                files=tuple(raw["files"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise LabError(f"{source}: not a lab state file ({exc})") from exc

    def owner_alive(self) -> bool:
        if self.owner_pid is None:
            return False
        owner = Proc("owner", "", self.owner_pid, self.owner_pid, self.owner_ticks or 0, (), "")
        return procs.alive(owner)


def save(state: LabState) -> None:
    """Write both copies (atomically: a reader never sees half a file)."""
    REGISTRY.mkdir(mode=0o755, exist_ok=True)
    text = state.to_json()
    for path in (Path(state.state_dir) / STATE_FILE, REGISTRY / f"{state.prefix}.json"):
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)


def load(path: Path) -> LabState:
    try:
        text = path.read_text()
    except OSError as exc:
        raise LabError(f"{path}: cannot read lab state ({exc.strerror})") from exc
    return LabState.from_json(text, str(path))


@contextlib.contextmanager
def registry_lock() -> Iterator[None]:
    """Serialise stale-lab cleanup and registration between concurrent ``up`` calls."""
    REGISTRY.mkdir(mode=0o755, exist_ok=True)
    with (REGISTRY / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def teardown(prefix: str, state: LabState | None) -> None:
    """Stop every process, then delete namespaces, /etc/netns dirs and the registry entry.

    Covers what ``state`` lists *and* anything else named ``<prefix>...``, so
    it also cleans a lab whose state file is lost or was written half-way.
    Idempotent.
    """
    if not netns.PREFIX_RE.match(prefix):
        raise LabError(f"lab prefix {prefix!r} must match {netns.PREFIX_RE.pattern}")
    owned = [ns for ns in netns.list_lab_namespaces() if ns.startswith(prefix)]
    namespaces = sorted({*(state.namespaces if state else ()), *owned})
    procs.stop_all(state.procs if state else (), namespaces)
    etc_dirs = netns.NETNS_ETC.glob(f"{prefix}*") if netns.NETNS_ETC.is_dir() else iter(())
    for ns in sorted({*namespaces, *(d.name for d in etc_dirs)}):
        if ns.startswith(prefix):
            netns.delete_namespace(ns)
    with contextlib.suppress(OSError):
        netns.NETNS_ETC.rmdir()  # only if no one else uses /etc/netns any more
    (REGISTRY / f"{prefix}.json").unlink(missing_ok=True)
    if state is not None:
        (Path(state.state_dir) / STATE_FILE).unlink(missing_ok=True)


def registered() -> dict[str, LabState | None]:
    """Every known lab by prefix: registry entries, plus orphan namespaces (state None)."""
    labs: dict[str, LabState | None] = {}
    if REGISTRY.is_dir():
        for entry in REGISTRY.glob("*.json"):
            try:
                labs[entry.stem] = load(entry)
            except LabError:
                labs[entry.stem] = None
    for ns in netns.list_lab_namespaces():
        match = netns.LAB_NS_RE.match(ns)
        if match:
            labs.setdefault(match.group(1), None)
    return labs


def clean_stale(*, keep_persistent: bool) -> list[str]:
    """Tear down every lab whose owner is dead; returns their prefixes.

    ``keep_persistent`` spares ownerless labs (``up`` must not kill a demo
    lab); ``down --all-stale`` passes False. A lab with a live owner is never
    touched.
    """
    cleaned = []
    for prefix, st in sorted(registered().items()):
        if st is not None and st.owner_alive():
            continue
        if keep_persistent and st is not None and st.owner_pid is None:
            continue
        teardown(prefix, st)
        cleaned.append(prefix)
    return cleaned


def owner_ticks() -> int:
    """Start time of this process, to record as a lab owner."""
    return procs.start_ticks(os.getpid()) or 0
