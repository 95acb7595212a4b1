"""One site survey, from networks to a draft inventory and the audit of what it found.

1. Discover (``discover.py``): management ports inside the given networks.
2. Classify and write ``inventory.yml`` (``draft.py``) and ``survey.json``
   (what answered, and how) into the survey folder at once, so an
   interrupted survey still hands over what it found.
3. Load the draft back through ansible-core, as the contract's runs will,
   give its hosts the survey's credentials (in memory only: the draft holds
   none) and run the normal audit on them: same engine, judge and report,
   the pages marked "Bestandsaufnahme vor Vertragsbeginn".

Credentials are tried once per host and credential (a key, then a password,
as OpenSSH offers them), so a survey never locks an account out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from auditor.atomic import private_dir, write_atomic
from auditor.inventory import InventoryLoad, load_inventory
from auditor.model import Connection, Secret, Target
from auditor.names import ascii_slug
from auditor.report.survey import SurveyNote, Unaudited
from auditor.survey.classify import Device, classify
from auditor.survey.discover import DiscoverySettings, Found, Progress, address_order, discover
from auditor.survey.draft import Logins, draft_inventory
from auditor.survey.networks import IPNetwork


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the technician was given; passwords stay in memory, never in a file."""

    user: str | None = None
    password: Secret | None = None
    key_file: str | None = None
    win_user: str | None = None
    win_password: Secret | None = None
    net_user: str | None = None  # network devices' account; default: ``user``
    net_password: Secret | None = None

    def logins(self) -> Logins:
        return Logins(self.user, self.key_file, self.password is not None, self.win_user,
                      self.net_user, self.net_password is not None)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Discovered:
    """Discovery's outcome, already on disk: the devices, the draft, and whether it was cut short."""

    devices: tuple[Device, ...]
    inventory: Path
    interrupted: bool


def default_out_dir(customer: str, today: date | None = None) -> Path:
    """``survey-<customer>-<date>/`` in the current folder."""
    day = (today or date.today()).isoformat()
    return Path(f"survey-{ascii_slug(customer)}-{day}")


def discover_and_draft(
    customer: str,
    networks: Sequence[IPNetwork],
    credentials: Credentials,
    out_dir: Path,
    settings: DiscoverySettings,
    on_progress: Callable[[Progress], None] | None = None,
) -> Discovered:
    """Steps 1 and 2; Ctrl-C during discovery keeps and writes what was found."""
    found: list[Found] = []
    interrupted = False
    try:
        asyncio.run(discover(networks, settings, on_progress, found_sink=found))
    except KeyboardInterrupt:
        interrupted = True
    devices = tuple(classify(sorted(found, key=lambda f: address_order(f.address))))
    private_dir(out_dir)
    searched = " ".join(str(n) for n in networks)
    header = (
        f"Draft inventory from the site survey of {customer} on {date.today().isoformat()}\n"
        f"(auditor survey {searched}{', interrupted' if interrupted else ''}).\n"
        "Check names and roles (auditor_role) before the contract's first audit."
    )
    text = draft_inventory(customer, devices, credentials.logins(), header=header)
    inventory = out_dir / "inventory.yml"
    write_atomic(inventory, text)
    write_atomic(out_dir / "survey.json", _survey_json(customer, networks, devices, interrupted))
    return Discovered(devices, inventory, interrupted)


def load_with_credentials(inventory: Path, credentials: Credentials) -> InventoryLoad:
    """The draft loaded through ansible-core, its hosts given the survey's secrets in memory."""
    load = load_inventory([str(inventory)])
    targets = tuple(_with_secrets(t, credentials) for t in load.targets)
    return dataclasses.replace(load, targets=targets)


def note_of(networks: Sequence[IPNetwork], devices: Sequence[Device]) -> SurveyNote:
    """What the report says of the survey: the networks, and what answered but cannot be audited."""
    unaudited = tuple(
        Unaudited(d.address, d.name, d.open_ports, d.what, d.kind)
        for d in devices
        if d.kind in ("web", "unknown")
    )
    return SurveyNote("survey", tuple(str(n) for n in networks), unaudited, len(devices))


def _with_secrets(target: Target, credentials: Credentials) -> Target:
    if target.connection is Connection.WINRM:
        return dataclasses.replace(target, password=credentials.win_password)
    if target.connection is Connection.NETWORK_CLI and credentials.net_user:
        return dataclasses.replace(target, password=credentials.net_password)
    return dataclasses.replace(target, password=credentials.password)


def _survey_json(
    customer: str, networks: Sequence[IPNetwork], devices: Sequence[Device], interrupted: bool
) -> str:
    doc = {
        "customer": customer,
        "networks": [str(n) for n in networks],
        "interrupted": interrupted,
        "devices": [
            {
                "name": d.name, "address": d.address, "kind": d.kind, "role": d.role.value,
                "open_ports": list(d.open_ports), "ssh_banner": d.banner,
                "network_os": d.network_os, "what": d.what,
            }
            for d in devices
        ],
    }  # fmt: skip
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
