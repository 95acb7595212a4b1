"""ansible-core's config and chatter stay out: no ansible.cfg surprises, quiet output."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys
    from auditor.inventory import load_inventory
    load = load_inventory(sys.argv[1:])
    print(sorted(t.name for t in load.targets))
    print(len(load.problems))
    """
)


def test_hostile_ansible_cfg_and_env_are_ignored_and_nothing_is_printed(tmp_path: Path) -> None:
    # An ansible.cfg in the working directory that would disable the INI and
    # YAML plugins, plus an environment that tries the same.
    (tmp_path / "ansible.cfg").write_text("[inventory]\nenable_plugins = host_list\n")
    (tmp_path / "hosts").write_text("[acme]\ngood1\nbad1 auditor_role=printer\n")
    (tmp_path / "broken.ini").write_text("[acme\n")
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "host_vars" / "good1.yml").write_text("x: [\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_INVENTORY_ENABLED"] = "host_list"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, "hosts", "broken.ini", "missing"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # Only the script's own two lines: no ansible warning on stdout or stderr.
    assert result.stdout == "['bad1', 'good1']\n4\n"
    assert result.stderr == ""


def test_load_prints_nothing_in_process(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    from auditor.inventory import load_inventory

    (tmp_path / "hosts").write_text("[acme]\nh1 ansible_port=x\nlocalhost\n[acme\n")
    (tmp_path / "ok.yml").write_text("all:\n  hosts:\n    h2:\n")
    load_inventory([str(tmp_path / "hosts"), str(tmp_path / "ok.yml")], limit="nothing*")
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")
