"""``auditor mail`` against a real SMTP server: what arrives, parsed back, and every failure.

The run is the report tests' demo run: "Bäckerei Sonnenschein" (five hosts,
problems of every kind, a refused login) and "Kanzlei Weber & Partner" (one
host). Recipients come from an inventory's ``auditor_report_to`` at group
level, or ``--to``.
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from smtp_lab import PASSWORD, REJECTED, SmtpServer

from auditor.history.store import HistoryStore
from auditor.results import write_results
from tests.report.samples import demo_run

BAECKEREI, KANZLEI = "Bäckerei Sonnenschein", "Kanzlei Weber & Partner"
PLANTED = "Planted-Inventory-Secret-0815"


@pytest.fixture
def setup(tmp_path: Path, smtp_server: SmtpServer) -> dict[str, object]:
    results = write_results(demo_run(), tmp_path / "run")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(f"""
all:
  children:
    sonne:
      vars:
        auditor_customer: "{BAECKEREI}"
        auditor_report_to: [it@sonnenschein.example, chef@sonnenschein.example]
        auditor_report_cc: msp-desk@msp.example
        ansible_password: {PLANTED}
      hosts: {{srv-ok: {{}}}}
    weber:
      vars:
        auditor_customer: "{KANZLEI}"
        auditor_report_to: it@weber.example
      hosts: {{web: {{}}}}
""", encoding="utf-8")  # fmt: skip
    password = tmp_path / "smtp-password"
    password.write_text(PASSWORD + "\n")
    env = smtp_server.env(AUDITOR_SMTP_PASSWORD_FILE=str(password))
    return {"results": results, "inventory": inventory, "env": env,
            "db": f"sqlite:///{tmp_path / 'history.sqlite'}"}  # fmt: skip


def mail(
    setup: dict[str, object], *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_SMTP")}
    environ.update(env if env is not None else setup["env"])  # type: ignore[arg-type]
    argv = [sys.executable, "-m", "auditor", "mail", "--results", str(setup["results"]),
            "-i", str(setup["inventory"]), "--db", str(setup["db"]), *extra]  # fmt: skip
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env=environ, check=False
    )


def parsed(server: SmtpServer) -> dict[str, EmailMessage]:
    """Every accepted message, parsed back with the email package, by customer."""
    out = {}
    for item in server.handler.received:
        message = email.message_from_bytes(item.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        customer = BAECKEREI if "Sonnenschein" in str(message["Subject"]) else KANZLEI
        out[customer] = message
    return out


def test_each_customer_gets_its_report(setup: dict[str, object], smtp_server: SmtpServer) -> None:
    done = mail(setup)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(
        line.startswith("mail ") and " sent to " in line for line in lines
    )
    received = {tuple(sorted(r.recipients)) for r in smtp_server.handler.received}
    assert received == {
        ("chef@sonnenschein.example", "it@sonnenschein.example", "msp-desk@msp.example"),
        ("it@weber.example",),
    }
    messages = parsed(smtp_server)
    sonne = messages[BAECKEREI]
    assert str(sonne["Subject"]) == (
        "Fernwartungs-Voraussetzungen: 1 von 5 Geräten erfüllt \u2013 Bäckerei Sonnenschein"
    )
    assert str(messages[KANZLEI]["Subject"]).endswith("\u2013 Kanzlei Weber & Partner")
    assert str(sonne["From"]) == "MSP Prüfdienst <audit@msp.example>"
    assert sonne["Message-ID"] and sonne["Date"] and sonne["Auto-Submitted"] == "auto-generated"
    assert sonne["Cc"] == "msp-desk@msp.example"
    raw = smtp_server.handler.received[0].data
    assert raw.isascii()  # headers encoded (umlauts, the dash), bodies transfer-encoded
    text = sonne.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "1 von 5 Geräten erfüllen die Voraussetzungen" in text
    assert "Zu erledigen durch Ihre IT:" in text and "- kasse:" in text
    html = sonne.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<style" not in html and 'style="' in html  # CSS inlined for Outlook and Gmail
    (attachment,) = sonne.iter_attachments()
    assert attachment.get_filename() == "baeckerei-sonnenschein.html"
    assert "<style>" in attachment.get_content()


def test_a_message_shows_only_its_customer_and_nothing_of_the_msp(
    setup: dict[str, object], smtp_server: SmtpServer
) -> None:
    mail(setup)
    messages = parsed(smtp_server)
    for received in smtp_server.handler.received:
        assert PLANTED.encode() not in received.data and PASSWORD.encode() not in received.data
    kanzlei = messages[KANZLEI].as_string()
    for other in ("srv-ok", "kasse", "dc1", "fs1", "198.51.100.11"):  # Bäckerei's hosts
        assert other not in kanzlei
    sonne = messages[BAECKEREI]
    html = sonne.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for internal in ("Audit-Übersicht", "index.html", "results.json", "Angemeldet mit",
                     "Erreicht unter", "inventory/customers.yml"):  # fmt: skip
        assert internal not in html, internal


def test_the_html_part_in_a_browser(
    setup: dict[str, object], smtp_server: SmtpServer, tmp_path: Path, open_report: object
) -> None:
    mail(setup)
    html = parsed(smtp_server)[BAECKEREI].get_body(("html",)).get_content()  # type: ignore[union-attr]
    page = tmp_path / "mail-part.html"
    page.write_text(html, encoding="utf-8")
    shown = open_report(page, "mail-html-part")  # type: ignore[operator]
    shown.assert_quiet_and_offline()
    said = shown.page.inner_text("body")
    assert "1 von 5 Geräten erfüllen die Voraussetzungen" in said
    assert "TLS-Inspektion erkannt" in said
    color = shown.page.eval_on_selector("#verdict", "e => getComputedStyle(e).borderTopColor")
    assert color != "rgba(0, 0, 0, 0)" and color != "rgb(0, 0, 0)"  # the inlined style applies


def test_a_rejected_recipient_fails_that_customer_only(
    setup: dict[str, object], smtp_server: SmtpServer
) -> None:
    done = mail(setup, "--to", f"{BAECKEREI}={REJECTED}")
    assert done.returncode == 7
    (failure,) = done.stderr.splitlines()
    assert failure.startswith(f"auditor: mail {BAECKEREI}: not sent:")
    assert f"rejected {REJECTED} (550" in failure and failure.endswith("the others got it")
    got = sorted(r.recipients for r in smtp_server.handler.received)  # the Cc still got it
    assert got == [["it@weber.example"], ["msp-desk@msp.example"]]
    store = HistoryStore.open(str(setup["db"]))
    assert store.mail_sent(demo_run().run_id, KANZLEI) is not None
    assert store.mail_sent(demo_run().run_id, BAECKEREI) is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"AUDITOR_SMTP_PASSWORD_FILE": ""}, "refused the login of 'audit' (535"),
        ({"AUDITOR_SMTP_CA_FILE": ""}, "its TLS certificate is not trusted"),
        ({"AUDITOR_SMTP_PORT": "1"}, "cannot be reached"),
    ],
    ids=["wrong password", "untrusted certificate", "refusing server"],
)
def test_each_failure_is_one_line_per_customer(
    setup: dict[str, object],
    smtp_server: SmtpServer,
    change: dict[str, str],
    words: str,
) -> None:
    env = {k: v for k, v in {**setup["env"], **change}.items() if v}  # type: ignore[dict-item]
    if "AUDITOR_SMTP_PASSWORD_FILE" in change:
        env["AUDITOR_SMTP_PASSWORD"] = "Wrong-Password-1"
    done = mail(setup, env=env)
    assert done.returncode == 7
    lines = done.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        f"mail {BAECKEREI}", f"mail {KANZLEI}"]  # fmt: skip
    assert all(words in line for line in lines), lines
    assert smtp_server.handler.received == []
    assert PASSWORD not in done.stderr and "Wrong-Password-1" not in done.stderr


def test_never_twice_for_one_run_unless_resend(
    setup: dict[str, object], smtp_server: SmtpServer
) -> None:
    assert mail(setup).returncode == 0
    again = mail(setup)
    assert again.returncode == 0
    assert all("already sent for this run" in line for line in again.stdout.splitlines())
    assert len(smtp_server.handler.received) == 2
    assert mail(setup, "--resend").returncode == 0
    assert len(smtp_server.handler.received) == 4


def test_dry_run_writes_one_eml_per_customer(setup: dict[str, object], tmp_path: Path) -> None:
    out = tmp_path / "eml"
    done = mail(setup, "--dry-run", "--out", str(out), env={})  # no SMTP settings needed
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == ["baeckerei-sonnenschein.eml", "kanzlei-weber-partner.eml"]
    message = email.message_from_bytes((out / files[1]).read_bytes(), policy=email.policy.default)
    assert str(message["To"]) == "it@weber.example"
    assert HistoryStore.open(str(setup["db"])).mail_sent(demo_run().run_id, KANZLEI) is None
    assert str(message["From"]) == "auditor@localhost"  # nothing configured: a stand-in
    named = mail(setup, "--dry-run", "--out", str(tmp_path / "named"),
                 env={"AUDITOR_MAIL_FROM": "MSP Prüfdienst <audit@msp.example>"})  # fmt: skip
    assert named.returncode == 0, named.stderr
    again = (tmp_path / "named" / files[1]).read_bytes()
    sender = email.message_from_bytes(again, policy=email.policy.default)["From"]
    assert str(sender) == "MSP Prüfdienst <audit@msp.example>"  # the sender the MSP set


def test_no_recipients_and_bad_settings_are_one_line(
    setup: dict[str, object], tmp_path: Path
) -> None:
    inventory = tmp_path / "nobody.ini"
    inventory.write_text("[x]\nweb\n")
    bare = {**setup, "inventory": inventory}
    done = mail(bare, "--dry-run", "--out", str(tmp_path / "eml"))
    assert done.returncode == 7
    assert f"mail {BAECKEREI}: not sent: no recipients" in done.stderr
    unset = mail(setup, env={"AUDITOR_MAIL_FROM": "x@y.example"})
    assert unset.returncode == 4
    assert (
        unset.stderr.strip()
        == "auditor: no SMTP server: set AUDITOR_SMTP_HOST (environment or --mail-config)"
    )


def test_run_mail_sends_after_the_run(smtp_server: SmtpServer, tmp_path: Path) -> None:
    """``auditor run --mail``: this machine audited (local), then its customer mailed."""
    from tests.engine.conftest import write_test_profile

    inventory = tmp_path / "hosts.ini"
    inventory.write_text('[praxis]\nlocalbox ansible_connection=local auditor_customer="Praxis"\n'
                         "[praxis:vars]\nauditor_report_to=it@praxis.example\n")  # fmt: skip
    password = tmp_path / "pw"
    password.write_text(PASSWORD)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_SMTP")}
    environ.update(smtp_server.env(AUDITOR_SMTP_PASSWORD_FILE=str(password)))
    db = f"sqlite:///{tmp_path / 'history.sqlite'}"
    argv = [sys.executable, "-m", "auditor", "run", "-i", str(inventory), "--profile",
            str(write_test_profile(tmp_path / "profile.yaml")), "--db", db,
            "--out", str(tmp_path / "out"), "--mail", "--quiet"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=environ,
                          check=False)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr  # the run's own exit code: mail went out
    assert done.stdout == "" and done.stderr == ""
    (received,) = smtp_server.handler.received
    assert received.recipients == ["it@praxis.example"]
    run_id = HistoryStore.open(db).latest_run_id()
    assert run_id is not None and HistoryStore.open(db).mail_sent(run_id, "Praxis") is not None
