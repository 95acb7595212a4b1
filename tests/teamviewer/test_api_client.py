"""The TeamViewer Web API client against the lab's emulated API (real HTTP on loopback):
pages, a refused token, a rate limit, a slow answer, a server error; the token in no error."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from auditor.lab.tvapi import Behaviour, serve
from auditor.model import Secret
from auditor.teamviewer.api import (
    ApiAccess,
    ApiError,
    ApiTokenRefused,
    PerRun,
    fetch_managed_devices,
    msp_devices,
)
from auditor.teamviewer.directory import ManagedDevice, MspDevices

TOKEN = "12345678-Planted-Api-Token-abcdef"
DEVICES = [
    {"id": f"{{6F1C0D6E-0000-4000-8000-00000000000{n}}}", "name": f"dev{n}",
     "teamviewerId": 1_100_000_000 + n, "isOnline": n % 2 == 0,
     **({"teamviewerPolicyId": "b9f1e5a2-0000-4000-8000-000000000001"} if n == 0 else {})}
    for n in range(5)
]  # fmt: skip


@pytest.fixture
def api() -> Iterator[tuple[Behaviour, str]]:
    behaviour = Behaviour(token=TOKEN, devices=DEVICES, page_size=2)
    server: ThreadingHTTPServer = serve(behaviour)
    host, port = server.server_address[:2]
    try:
        yield behaviour, f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_page_is_fetched(api: tuple[Behaviour, str]) -> None:
    behaviour, url = api
    found = fetch_managed_devices(Secret(TOKEN), url)
    assert [d.name for d in found] == ["dev0", "dev1", "dev2", "dev3", "dev4"]
    assert len(behaviour.requests) == 3  # 2 + 2 + 1
    assert found[0] == ManagedDevice(
        id="6f1c0d6e-0000-4000-8000-000000000000", name="dev0", teamviewer_id=1_100_000_000,
        is_online=True, policy_id="b9f1e5a2-0000-4000-8000-000000000001",
    )  # fmt: skip


def test_a_refused_token_is_one_line_without_the_token(api: tuple[Behaviour, str]) -> None:
    _, url = api
    with pytest.raises(ApiTokenRefused) as refused:
        fetch_managed_devices(Secret("wrong-token"), url)
    assert "(401)" in str(refused.value) and "wrong-token" not in str(refused.value)


def test_a_rate_limit_is_waited_out_as_the_server_asks(api: tuple[Behaviour, str]) -> None:
    behaviour, url = api
    behaviour.throttle_first, behaviour.retry_after_s = 2, 7
    waited: list[float] = []
    found = fetch_managed_devices(Secret(TOKEN), url, sleep=waited.append)
    assert len(found) == 5 and waited == [7.0, 7.0]


def test_a_rate_limit_that_never_ends_is_an_error(api: tuple[Behaviour, str]) -> None:
    behaviour, url = api
    behaviour.throttle_first = 100
    waited: list[float] = []
    with pytest.raises(ApiError, match=r"429 after 4 tries"):
        fetch_managed_devices(Secret(TOKEN), url, sleep=waited.append)
    assert len(waited) == 3


def test_a_slow_answer_is_an_error_in_time(api: tuple[Behaviour, str]) -> None:
    behaviour, url = api
    behaviour.slow_s = 2.0
    with pytest.raises(ApiError, match=r"no answer within 0\.5 s"):
        fetch_managed_devices(Secret(TOKEN), url, timeout_s=0.5)


def test_a_server_error_is_retried_then_reported(api: tuple[Behaviour, str]) -> None:
    behaviour, url = api
    behaviour.fail_with = 503
    with pytest.raises(ApiError, match=r"503 after 4 tries") as failed:
        fetch_managed_devices(Secret(TOKEN), url, sleep=lambda _s: None)
    assert TOKEN not in str(failed.value)


def test_nothing_listening_is_one_line() -> None:
    with pytest.raises(ApiError, match=r"ConnectionError"):
        fetch_managed_devices(Secret(TOKEN), "http://127.0.0.1:9", timeout_s=2)


def test_a_run_fetches_once_and_says_what_it_knows(api: tuple[Behaviour, str]) -> None:
    behaviour, url = api
    assert msp_devices(None) == MspDevices()  # no token: nothing asked, "not_checked"
    lists = PerRun(ApiAccess(Secret(TOKEN), url))
    first = lists.get("run-1")
    assert lists.get("run-1") is first and len(behaviour.requests) == 3  # one fetch per run
    assert first.record() == {"state": "checked", "devices": 5, "error": None, "source": url}
    found = first.find("{6F1C0D6E-0000-4000-8000-000000000003}", None)  # braces, upper case
    assert found is not None and found.name == "dev3"
    assert first.find(None, "1100000004") == first.devices[4]  # by ClientID
    assert first.find("0000", "99") is None
    refused = msp_devices(ApiAccess(Secret("wrong-token"), url + "/"))
    assert refused.state == "failed" and refused.devices == ()
    assert "(401)" in str(refused.error) and "wrong-token" not in repr(refused)


def test_errors_name_the_api_without_user_info(api: tuple[Behaviour, str]) -> None:
    _, url = api
    with_user = url.replace("http://", "http://someone:Pass-In-Url@")
    failed = msp_devices(ApiAccess(Secret("wrong-token"), with_user))
    assert failed.source == url and "Pass-In-Url" not in str(failed.error)
