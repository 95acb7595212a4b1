"""``make demo-sites``: one audit across two customer sites, each with its own worker.

Builds a lab of two remote sites, starts a throwaway PostgreSQL (history
store and task queue), runs ``auditor worker`` in each site's own namespace
(it reaches only that site's hosts) and ``auditor schedule --wait`` centrally,
prints ``auditor status``, and takes everything down. The reports land in
``reports/sites/``. The commands are printed as a user would type them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from auditor.lab.build import Lab
from auditor.lab.inventory import write_site_inventory
from auditor.lab.postgres import LabPostgres
from auditor.lab.spec import REFLECTOR, RESOLVER_HIJACK, Fault, HostSpec, LabSpec

STATE = Path(".lab/sites-demo")
NORD, SUED = "Nord AG", "Süd GmbH"
SITES = {1: "nord", 2: "sued"}
SPEC = LabSpec(
    name="sites-demo",
    hosts=(
        HostSpec("nord-dc1", NORD, site=1, teamviewer="running"),
        HostSpec("nord-fs1", NORD, site=1, teamviewer="running", faults=(Fault("tcp", 5938),)),
        HostSpec("nord-app1", NORD, site=1, teamviewer="stopped"),
        HostSpec("sued-srv1", SUED, site=2, teamviewer="running"),
        HostSpec("sued-srv2", SUED, site=2, teamviewer="running", resolvers=(RESOLVER_HIJACK,)),
    ),
)
WAIT_S = 300  # the whole demo's bound


def _auditor(*argv: str) -> list[str]:
    return [sys.executable, "-m", "auditor", *argv]


def _show(command: list[str]) -> None:
    print("$ " + " ".join(["auditor", *command[3:]]), flush=True)


def run_sites_demo(out_dir: Path = Path("reports/sites")) -> int:
    """0 when the run across both sites ended and its reports were written."""
    out = out_dir.resolve()
    with LabPostgres() as postgres:
        lab = Lab(SPEC, STATE.resolve(), "alds-").up()
        workers: list[subprocess.Popen[bytes]] = []
        central: subprocess.Popen[str] | None = None
        try:
            db = postgres.socket_url(postgres.new_database())
            inventory = write_site_inventory(lab, lab.state_dir / "inventory.yml", SITES)
            print(f"two sites up: {len(lab.hosts)} hosts, inventory {inventory}", flush=True)
            schedule = _auditor("schedule", "--db", db, "-i", str(inventory),
                                "--reflector", REFLECTOR, "--expected-network", "203.0.113.0/24",
                                "--timezone", "Europe/Berlin", "--deadline", "4m", "--wait",
                                "--out", str(out))  # fmt: skip
            print("[central]", end=" ")
            _show(schedule)
            central = subprocess.Popen(schedule, stdout=subprocess.PIPE, text=True)
            assert central.stdout is not None
            for line in central.stdout:  # the jobs are queued once it names the run
                print(line, end="", flush=True)
                if line.startswith("run "):
                    break
            for site, name in SITES.items():
                worker = _auditor("worker", "--site", name, "--db", db, "-i", str(inventory),
                                  "--known-hosts", str(lab.state_dir / f"own-known-hosts-{site}"),
                                  "--exit-when-idle")  # fmt: skip
                print(f"[site {name}, namespace {lab.site_worker_ns[site]}]", end=" ")
                _show(worker)
                workers.append(subprocess.Popen(["ip", "netns", "exec", lab.site_worker_ns[site],
                                                 *worker]))  # fmt: skip
            for line in central.stdout:
                print(line, end="", flush=True)
            code = central.wait(timeout=WAIT_S)
            for worker_proc in workers:
                worker_proc.wait(timeout=WAIT_S)
            status = _auditor("status", "--db", db)
            _show(status)
            subprocess.run(status, check=False, timeout=60)
            print(f"auditor schedule exited {code}; reports: {out / 'index.html'}", flush=True)
            return 0 if code in (0, 1, 2) else code
        finally:
            for left in [*workers, central]:
                if left is not None and left.poll() is None:
                    left.terminate()
                    left.wait(timeout=60)
            lab.down()
            print("sites lab down", flush=True)
