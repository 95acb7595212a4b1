"""What a run learned of the MSP's TeamViewer company: its managed devices, or why not.

Plain data, no I/O: ``run.py`` fills it once per run (``api.py``), the judge
reads it (``judge/teamviewer.py``), the results and the report carry its
:meth:`MspDevices.record`. A host's management id or ClientID in this list
is the proof that the Host module is assigned to *us*, not just to somebody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from auditor.model import JSONValue

# checked: the list was fetched; failed: a token was given, the fetch failed;
# not_checked: no token, so the assignment to the MSP cannot be cross-checked.
State = Literal["checked", "failed", "not_checked"]


@dataclass(frozen=True, slots=True)
class ManagedDevice:
    """One device managed by the MSP's TeamViewer company."""

    id: str  # the management id (a GUID, lower case, no braces)
    name: str
    teamviewer_id: int | None  # the ClientID
    is_online: bool | None
    policy_id: str | None = None


@dataclass(frozen=True, slots=True)
class MspDevices:
    """The MSP's managed devices as one run saw them (``state`` says whether it did)."""

    state: State = "not_checked"
    devices: tuple[ManagedDevice, ...] = ()
    error: str | None = None  # failed: why, one line, never the token
    source: str | None = None  # the API's address (scheme, host, port: nothing secret)

    def find(self, management_id: str | None, client_id: str | None) -> ManagedDevice | None:
        """The MSP's device with this management id, else with this ClientID."""
        wanted = management_id_key(management_id)
        if wanted:
            for device in self.devices:
                if device.id == wanted:
                    return device
        number = int(client_id) if client_id and client_id.strip().isdigit() else None
        if number is not None:
            for device in self.devices:
                if device.teamviewer_id == number:
                    return device
        return None

    def warning(self) -> str | None:
        """The one line to say when a token was given but the list could not be fetched."""
        if self.state != "failed":
            return None
        return (f"teamviewer api: {self.error}; the TeamViewer Hosts' assignment to the "
                "MSP's company was not cross-checked")  # fmt: skip

    def record(self) -> dict[str, JSONValue]:
        """What the run says about the cross-check (results ``run.profile.teamviewer_api``)."""
        return {
            "state": self.state,
            "devices": len(self.devices) if self.state == "checked" else None,
            "error": self.error,
            "source": self.source,
        }


def management_id_key(value: str | None) -> str:
    """A management id as the API and the host's config compare: no braces, lower case."""
    return (value or "").strip().strip("{}").lower()


def shown_url(url: str) -> str:
    """An address fit for output: scheme, host and port, never user info, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme and host else "(unparsable URL)"
