"""The MSP's managed TeamViewer devices, from the TeamViewer Web API (read-only).

``GET {base}/api/v1/managed/devices`` with a company API token as bearer,
followed page by page through ``nextPaginationToken`` (as TeamViewer's own
``Get-TeamViewerManagedDevice`` does). Fetched once per run, before any host
is audited; the judge then compares each host's management id and ClientID
with the list (issue: enrollment with the MSP).

Every failure is one line that never holds the token: a refused token (401,
403), a rate limit that outlasts its retries (429, ``Retry-After`` honoured
up to :data:`MAX_RETRY_AFTER_S`), a server error, no answer in time, or an
answer that is not the documented shape. Loops are bounded: pages by
:data:`MAX_PAGES`, retries by :data:`RETRIES`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from auditor.errors import AuditorError
from auditor.model import Secret
from auditor.teamviewer.directory import ManagedDevice, MspDevices, management_id_key, shown_url

DEFAULT_URL = "https://webapi.teamviewer.com"
DEVICES_PATH = "/api/v1/managed/devices"
TIMEOUT_S = 20.0  # connect and each read
RETRIES = 3  # per request, for 429 and 5xx
MAX_RETRY_AFTER_S = 60.0
MAX_PAGES = 10_000


class ApiError(AuditorError):
    """The managed-device list could not be fetched; one line, never the token."""


class ApiTokenRefused(ApiError):
    """401 or 403: the token is wrong, expired, or lacks read access to managed devices."""


def fetch_managed_devices(
    token: Secret,
    base_url: str = DEFAULT_URL,
    *,
    timeout_s: float = TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
) -> list[ManagedDevice]:
    """Every managed device of the token's company, in the API's order."""
    url = base_url.rstrip("/") + DEVICES_PATH
    where = shown_url(base_url) + DEVICES_PATH  # what errors name: no user info, no query
    http = session or requests.Session()
    found: list[ManagedDevice] = []
    page_token: str | None = None
    try:
        for _ in range(MAX_PAGES):
            params = {"paginationToken": page_token} if page_token else {}
            body = _get(http, (url, where), token, params, timeout_s, sleep)
            found += [_device(item) for item in _list(body, "resources")]
            page_token = body.get("nextPaginationToken") or None
            if page_token is None:
                return found
            if not isinstance(page_token, str):
                raise ApiError(f"{where}: nextPaginationToken is not a string")
        raise ApiError(f"{where}: more than {MAX_PAGES} pages")
    finally:
        if session is None:
            http.close()


@dataclass(frozen=True, slots=True)
class ApiAccess:
    """How to ask the MSP's TeamViewer company: its API token and the API's base URL."""

    token: Secret
    url: str = DEFAULT_URL


def msp_devices(access: ApiAccess | None) -> MspDevices:
    """The run's view of the MSP's company: fetched, failed (why), or not asked (no token)."""
    if access is None:
        return MspDevices()
    source = shown_url(access.url)
    try:
        found = fetch_managed_devices(access.token, access.url)
    except ApiError as exc:
        return MspDevices("failed", error=str(exc), source=source)
    return MspDevices("checked", tuple(found), source=source)


class PerRun:
    """A worker's managed-device lists, fetched once per run (a run's jobs share one list)."""

    KEEP = 4  # runs remembered; older ones are fetched again if a late job comes

    def __init__(self, access: ApiAccess | None) -> None:
        self._access = access
        self._lists: dict[str, MspDevices] = {}

    def get(self, run_id: str) -> MspDevices:
        if run_id not in self._lists:
            while len(self._lists) >= self.KEEP:
                del self._lists[next(iter(self._lists))]
            self._lists[run_id] = msp_devices(self._access)
        return self._lists[run_id]


def _get(
    http: requests.Session,
    address: tuple[str, str],
    token: Secret,
    params: dict[str, str],
    timeout_s: float,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    url, where = address  # the URL to ask, and how errors name it
    headers = {"Authorization": f"Bearer {token.reveal()}", "Accept": "application/json"}
    for attempt in range(RETRIES + 1):
        try:
            answer = http.get(url, params=params, headers=headers, timeout=timeout_s)
        except requests.Timeout:
            raise ApiError(f"{where}: no answer within {timeout_s:g} s") from None
        except requests.RequestException as exc:
            raise ApiError(f"{where}: {type(exc).__name__}") from None
        status = answer.status_code
        if status in (401, 403):
            raise ApiTokenRefused(
                f"{where}: the API refused the token ({status}): it needs read access to "
                "managed devices"
            )
        if status == 429 or status >= 500:
            if attempt == RETRIES:
                raise ApiError(f"{where}: {status} after {RETRIES + 1} tries")
            sleep(_retry_after(answer.headers.get("Retry-After"), attempt))
            continue
        if status != 200:
            raise ApiError(f"{where}: unexpected answer {status}")
        try:
            body = answer.json()
        except ValueError:
            raise ApiError(f"{where}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(f"{where}: the answer is not a JSON object")
        return body
    raise AssertionError("unreachable")  # the loop returns or raises


def _retry_after(header: str | None, attempt: int) -> float:
    """``Retry-After`` seconds (capped), else a short growing pause."""
    try:
        wanted = float(header) if header is not None else 2.0**attempt
    except ValueError:
        wanted = 2.0**attempt
    return min(max(wanted, 0.0), MAX_RETRY_AFTER_S)


def _list(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ApiError(f"the answer has no list of objects {key!r}")
    return items


def _device(item: dict[str, Any]) -> ManagedDevice:
    ident, name = item.get("id"), item.get("name")
    if not isinstance(ident, str) or not ident:
        raise ApiError("a managed device without an id")
    raw_id = item.get("teamviewerId", item.get("TeamViewerId"))
    teamviewer_id = int(raw_id) if isinstance(raw_id, int | str) and str(raw_id).isdigit() else None
    online = item.get("isOnline")
    policy = item.get("teamviewerPolicyId")
    return ManagedDevice(
        id=management_id_key(ident), name=name if isinstance(name, str) else "",
        teamviewer_id=teamviewer_id, is_online=online if isinstance(online, bool) else None,
        policy_id=policy if isinstance(policy, str) else None,
    )  # fmt: skip
