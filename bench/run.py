"""``python -m bench.run [--sizes 20,100,500]``: the auditor against Ansible, on the same lab.

Per size N it builds a lab of N hosts (a real OpenSSH sshd per host; every
tenth with TCP 5938 dropped, so its probes wait out their timeouts; one
that takes the login and never runs anything; beyond 200 hosts, further
hosts sit at remote sites behind NAT, reached through port forwards), then
times, one after the other on that lab:

1. ``auditor run`` at its default forks (50) and at forks = min(N, 100), the
   setting found best on a 2-core machine: above about 100 payloads at once the
   lab's hosts starve each other of CPU and probes miss their deadlines (the
   auditor then says *error*, never pass or fail);
2. ``ansible-playbook bench/playbook.yml`` (the same checks with stock
   modules) at forks 5 (Ansible's default; only for N <= 20, it is slow) and
   50 (up to ``--ansible-up-to`` hosts), with a task timeout of 20 s
   (``ANSIBLE_TASK_TIMEOUT``): without one, the hung host holds the playbook
   for ever.

Each command runs in the lab's MSP namespace and is waited for with
``wait4``, so its own CPU seconds and peak memory are its own; the lab's
processes count their CPU in a cgroup of their own (``labcpu.py``). It
prints a table per N, the ratios measured in the same run, how many hosts
each tool described as the lab was built ("as built": TCP 5938 open or
dropped, the hung host stopped), and where both tools observed a host,
whether they agree. Figures, never assertions: ``bench/RESULTS.md`` keeps
them with the machine they came from.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.lab import Fault, HostSpec, Lab, LabSpec, unique_prefix, write_inventory
from auditor.lab.netns import exec_argv
from auditor.lab.spec import MAX_HOSTS, MAX_SITES, REFLECTOR
from auditor.model import Role
from bench.labcpu import LabCpu, machine_cpu_s

MAX_BENCH_HOSTS = MAX_HOSTS * (1 + MAX_SITES)
TUNED_FORKS = 100  # more payloads at once starve a 2-core lab (see the module docstring)

PLAYBOOK = Path(__file__).with_name("playbook.yml")
BIN = Path(sys.executable).parent


@dataclass(frozen=True, slots=True)
class Timed:
    """One command on one lab: wall, its own CPU and peak memory, the machine's other CPU."""

    label: str
    wall_s: float
    cpu_s: float
    peak_mib: float
    lab_cpu_s: float
    per_host_s: tuple[float, ...] = ()
    right: int = 0  # hosts whose TCP 5938 answer (or hung-host stop) matches the lab as built


def bench_spec(n: int) -> LabSpec:
    """N hosts: every tenth drops TCP 5938 (timeouts), one hangs after the login.

    The first ``MAX_HOSTS`` live on the MSP's LAN, every further ``MAX_HOSTS``
    at one more remote site behind NAT (reached through port forwards).
    """
    hosts = []
    for i in range(n):
        name, site = f"b{i:04d}", i // MAX_HOSTS
        if i == n - 1:
            hosts.append(HostSpec(name, "Bench", Role.SERVER, hang_after_auth=True, site=site))
        elif i % 10 == 5:
            hosts.append(
                HostSpec(name, "Bench", Role.SERVER, faults=(Fault("tcp", 5938),), site=site)
            )
        else:
            hosts.append(HostSpec(name, "Bench", Role.SERVER, site=site))
    return LabSpec(name=f"bench{n}", hosts=tuple(hosts))


def timed(label: str, argv: list[str], env: dict[str, str], lab: LabCpu) -> tuple[Timed, str]:
    """Run ``argv``; its wall time, own CPU and peak RSS (wait4), and the lab's CPU meanwhile."""
    before_cpu, before_lab, started = machine_cpu_s(), lab.seconds(), time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        wall = time.monotonic() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    own = usage.ru_utime + usage.ru_stime
    after_lab = lab.seconds()
    if before_lab is not None and after_lab is not None:
        lab_s = after_lab - before_lab
    else:
        lab_s = max(0.0, machine_cpu_s() - before_cpu - own)
    return Timed(label, wall, own, usage.ru_maxrss / 1024, lab_s), text


def run_size(n: int, work: Path, ansible_forks: tuple[int, ...]) -> list[Timed]:
    """Build the N-host lab, time the auditor (forks 50 and N) and Ansible on it, print."""
    built = time.monotonic()
    lab = Lab(bench_spec(n), work / f"lab{n}", unique_prefix("b")).up()
    print(f"\nN = {n}: lab built in {time.monotonic() - built:.0f} s", flush=True)
    try:
        with LabCpu(lab.namespaces) as cpu:
            rows = time_commands(lab, n, work, ansible_forks, cpu)
        return rows
    finally:
        lab.down()


def time_commands(
    lab: Lab, n: int, work: Path, ansible_forks: tuple[int, ...], cpu: LabCpu
) -> list[Timed]:
    inventory = write_inventory(lab, work / f"inventory{n}.yml")
    env = {**os.environ, "HOME": str(work), "ANSIBLE_HOST_KEY_CHECKING": "False",
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_TASK_TIMEOUT": "20",
           "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
           # Ansible prints results on stdout and failures on stderr, into one file here:
           # unbuffered, they stay in the order they happened (agree() reads the order)
           "PYTHONUNBUFFERED": "1"}  # fmt: skip
    env.pop("SSH_AUTH_SOCK", None)
    rows: list[Timed] = []
    audits: dict[str, dict[str, Any]] = {}
    for forks in sorted({50, min(n, TUNED_FORKS)}):
        out = work / f"out{n}-{forks}"
        argv = exec_argv(lab.msp_ns, [
            sys.executable, "-P", "-m", "auditor", "run", "-i", str(inventory),
            "--known-hosts", str(lab.known_hosts), "--reflector", REFLECTOR,
            "--expected-network", "203.0.113.0/24", "--out", str(out), "--no-history",
            "--quiet", "-f", str(forks),
        ])  # fmt: skip
        row, _ = timed(f"auditor -f {forks}", argv, env, cpu)
        doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
        durations = tuple(float(h["duration_s"]) for h in doc["hosts"])
        rows.append(dataclasses.replace(row, per_host_s=durations,
                                        right=auditor_right(doc, truth(lab.spec))))  # fmt: skip
        audits[str(forks)] = doc
        print(f"  {row.label}: {row.wall_s:.1f} s", flush=True)
    agreement: tuple[int, int] | None = None
    for forks in ansible_forks:
        argv = exec_argv(lab.msp_ns, [
            str(BIN / "ansible-playbook"), "-i", str(inventory), "-f", str(forks), str(PLAYBOOK),
        ])  # fmt: skip
        row, text = timed(f"ansible -f {forks}", argv, env, cpu)
        rows.append(dataclasses.replace(row, right=ansible_right(text, truth(lab.spec))))
        agreement = agree(audits["50"], text)
        print(f"  {row.label}: {row.wall_s:.1f} s", flush=True)
    print_table(n, rows, agreement, cpu.kind)
    return rows


def ansible_said(ansible_out: str) -> dict[str, bool]:
    """Per host, whether Ansible's first task (TCP 5938) succeeded; hosts it could not reach
    are absent. From its default output: under the first task's header, ``ok: [host]`` or
    ``fatal: [host]: FAILED!`` (``UNREACHABLE!`` is no observation)."""
    said: dict[str, bool] = {}
    lines = ansible_out.split("TASK [", 2)
    first = lines[1] if len(lines) > 1 else ""
    for line in first.splitlines():
        if line.startswith(("ok: [", "fatal: [")):
            host = line.split("[", 1)[1].split("]", 1)[0]
            if "UNREACHABLE!" not in line:
                said[host] = line.startswith("ok:")
    return said


def _tcp_5938(host: dict[str, Any]) -> str:
    return str(next(c["verdict"] for c in host["checks"] if c["id"] == "tcp_5938"))


def agree(audit: dict[str, Any], ansible_out: str) -> tuple[int, int]:
    """Hosts where both say the same of TCP 5938 (reachable or not), of hosts both observed:
    Ansible reached the host, and the auditor's verdict is pass or fail (not an error)."""
    said = ansible_said(ansible_out)
    same = total = 0
    for host in audit["hosts"]:
        theirs = said.get(host["name"])
        if theirs is None or host["stage"] != "judged":
            continue
        ours = _tcp_5938(host)
        if ours not in ("pass", "fail"):  # the auditor observed nothing it would vouch for
            continue
        total += 1
        same += (ours == "pass") == theirs
    return (same, total)


def truth(spec: LabSpec) -> dict[str, str]:
    """What each bench host is, as built: TCP 5938 ``pass`` or ``fail``, or ``hangs``."""
    return {
        h.name: "hangs" if h.hang_after_auth else "fail" if h.faults else "pass" for h in spec.hosts
    }


def auditor_right(audit: dict[str, Any], built: dict[str, str]) -> int:
    """Hosts the auditor described as built: the TCP 5938 verdict, or the hung host's stop."""
    right = 0
    for host in audit["hosts"]:
        if built[host["name"]] == "hangs":
            finding = host.get("stage_finding") or {}
            right += finding.get("code") == "probe.not_started"
        elif host["stage"] == "judged":
            right += _tcp_5938(host) == built[host["name"]]
    return right


def ansible_right(ansible_out: str, built: dict[str, str]) -> int:
    """Hosts Ansible described as built: TCP 5938 ok or failed as built; the hung host not ok."""
    said = ansible_said(ansible_out)
    return sum(
        said.get(name) is False if what == "hangs" else said.get(name) == (what == "pass")
        for name, what in built.items()
    )


def print_table(n: int, rows: list[Timed], agreement: tuple[int, int] | None, lab_cpu: str) -> None:
    print(f"\nN = {n} hosts ({platform.node()}, {os.cpu_count()} cores); lab CPU: {lab_cpu}")
    print(f"{'':14} {'wall s':>7} {'hosts/s':>8} {'p50 s':>6} {'p95 s':>6} {'max s':>6} "
          f"{'CPU s':>6} {'peak MiB':>8} {'lab CPU s':>9} {'as built':>9}")  # fmt: skip
    for row in rows:
        per = sorted(row.per_host_s)
        p50 = f"{statistics.median(per):6.1f}" if per else "     -"
        p95 = f"{per[int(0.95 * (len(per) - 1))]:6.1f}" if per else "     -"
        top = f"{per[-1]:6.1f}" if per else "     -"
        print(f"{row.label:14} {row.wall_s:7.1f} {n / row.wall_s:8.1f} {p50} {p95} {top} "
              f"{row.cpu_s:6.1f} {row.peak_mib:8.0f} {row.lab_cpu_s:9.1f} "
              f"{f'{row.right}/{n}':>9}")  # fmt: skip
    auditor = min(r.wall_s for r in rows if r.label.startswith("auditor"))
    for row in rows:
        if row.label.startswith("ansible"):
            print(f"auditor (best) is {row.wall_s / auditor:.1f}x faster than {row.label}")
    if agreement is not None:
        same, total = agreement
        print(f"TCP 5938 verdicts agree on {same} of {total} hosts both observed")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", default="20,100,500",
                        help=f"lab sizes, comma-separated (at most {MAX_BENCH_HOSTS})")  # fmt: skip
    parser.add_argument("--ansible-up-to", type=int, default=100, metavar="N",
                        help="run Ansible only on labs of at most N hosts (it takes about "
                        "4 s per host at forks 50 here)")  # fmt: skip
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep every run's results.json, reports and inventory in DIR "
                        "(outN-FORKS/, inventoryN.yml)")  # fmt: skip
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if any(not 2 <= n <= MAX_BENCH_HOSTS for n in sizes):
        print(f"bench: sizes must be 2..{MAX_BENCH_HOSTS}", file=sys.stderr)
        return 2
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="auditor-bench-", dir=args.keep) as tmp:
        work = args.keep or Path(tmp)
        for n in sizes:
            forks = (5, 50) if n <= 20 else (50,) if n <= args.ansible_up_to else ()
            run_size(n, work, forks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
