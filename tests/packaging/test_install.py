"""An install that works outside the checkout.

Builds the sdist and, from that sdist, the wheel (``python -m build``, as a
release would), checks that both carry everything auditor reads at run time,
installs the wheel into a fresh venv outside the checkout and renders the
reports with the installed ``auditor report`` from a directory outside the
checkout, with no ``PYTHONPATH``: the checkout cannot help it.

The build runs on a copy of the working tree (setuptools writes ``build/`` and
``*.egg-info/`` into the tree it builds; stale ones must not feed the sdist).
It needs the package index for the build requirements and the dependencies;
pip's cache stays on, so a machine that ran ``make`` reuses what it downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import markupsafe
import pytest

from auditor import __version__
from auditor.results.io import write_results
from tests.report.samples import demo_run

ROOT = Path(__file__).resolve().parents[2]

# Read at run time and easy to forget: report templates and words, the bundled
# profile, the results schema, Ansible's config and the payloads sent to hosts.
RUNTIME_FILES = (
    "auditor/report/templates/base.html.j2",
    "auditor/report/templates/customer.html.j2",
    "auditor/report/templates/index.html.j2",
    "auditor/report/words.yaml",
    "auditor/profile/contract-v5.yaml",
    "auditor/results/results.v1.schema.json",
    "auditor/inventory/ansible.cfg",
    "auditor/payload/host_probe.py",
    "auditor/payload/host_probe.sh",
    "auditor/payload/host_probe.ps1",
    "auditor/lab/recorded_windows/admin.uac_filtered.json",
    "auditor/history/migrations/env.py",
    "auditor/history/migrations/script.py.mako",
    "auditor/history/migrations/versions/0001_history.py",
    "auditor/history/migrations/versions/0002_mails.py",
    "auditor/history/migrations/versions/0003_jobs.py",
)
LICENSE_ID = "GPL-3.0-or-later"
HEADLINE = "von 5 Geräten erfüllen die Voraussetzungen"

# Not part of a source tree: VCS, environments, caches, build output, run output.
_TOP_LEVEL_JUNK = {".git", ".venv", "build", "dist", "reports", "test-artifacts", ".lab"}
_ANYWHERE_JUNK = ("__pycache__", "*.egg-info", ".*_cache", "*.pyc")


@dataclass(frozen=True)
class Built:
    source: Path  # the copy of the working tree that was built
    sdist: Path
    wheel: Path


def _ignore(directory: str, names: list[str]) -> set[str]:
    junk = set(shutil.ignore_patterns(*_ANYWHERE_JUNK)(directory, names))
    if Path(directory) == ROOT:
        junk |= _TOP_LEVEL_JUNK & set(names)
    return junk


def _clean_env() -> dict[str, str]:
    """The caller's environment minus anything that would point Python at the checkout."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _run(argv: list[str | Path], *, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (
        f"{' '.join(proc.args)} exited {proc.returncode}\n"
        f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
    )
    return proc.stdout


def _package_files(source: Path) -> set[str]:
    """Every file of the ``auditor`` package in the built tree, as archive paths."""
    return {
        p.relative_to(source).as_posix()
        for p in (source / "auditor").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("packaging")
    assert not base.is_relative_to(ROOT), "pytest's tmp dir must lie outside the checkout"
    source = base / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=_ignore)
    dist = base / "dist"
    # No --sdist/--wheel: build makes the sdist, then the wheel from the unpacked sdist,
    # so a file the sdist forgets fails the wheel too.
    _ok(_run([sys.executable, "-m", "build", "--outdir", dist, source], cwd=base, timeout=300))
    (sdist,) = dist.glob("auditor-*.tar.gz")
    (wheel,) = dist.glob("auditor-*-py3-none-any.whl")
    return Built(source, sdist, wheel)


def test_sdist_carries_sources_data_and_licence(built: Built) -> None:
    with tarfile.open(built.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        pkg_info = tar.extractfile(f"{built.sdist.name.removesuffix('.tar.gz')}/PKG-INFO")
        assert pkg_info is not None
        metadata = pkg_info.read().decode()
    needed = {*RUNTIME_FILES, "LICENSE", "README.md", "pyproject.toml"}
    assert needed <= names, f"missing from the sdist: {sorted(needed - names)}"
    missing = _package_files(built.source) - names
    assert not missing, f"package files missing from the sdist: {sorted(missing)}"
    assert f"License-Expression: {LICENSE_ID}" in metadata


def test_wheel_carries_everything_read_at_run_time(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as whl:
        names = set(whl.namelist())
        (metadata_name,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = whl.read(metadata_name).decode()
        licence = whl.read(metadata_name.replace("METADATA", "licenses/LICENSE")).decode()
    assert set(RUNTIME_FILES) <= names, f"missing from the wheel: {set(RUNTIME_FILES) - names}"
    missing = _package_files(built.source) - names
    assert not missing, f"package files missing from the wheel: {sorted(missing)}"
    assert not {n for n in names if n.startswith(("tests/", "templates/"))}
    assert f"License-Expression: {LICENSE_ID}" in metadata
    assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 3" in licence


@pytest.fixture(scope="module")
def venv(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout with the wheel installed (dependencies from the index;
    pip's cache is left on on purpose)."""
    base = tmp_path_factory.mktemp("installed")
    assert not base.is_relative_to(ROOT)
    venv = base / "venv"
    _ok(_run([sys.executable, "-m", "venv", venv], cwd=base, timeout=120))
    _ok(_run([venv / "bin/python", "-m", "pip", "install", built.wheel], cwd=base, timeout=600))
    return venv


def test_installed_wheel_renders_reports_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    assert not tmp_path.is_relative_to(ROOT)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def installed(*argv: str | Path) -> str:
        return _ok(_run([venv / "bin" / argv[0], *argv[1:]], cwd=elsewhere, timeout=120))

    # The installed auditor is the wheel's: nothing on its sys.path leads into the checkout.
    probe = "import json, sys, auditor; print(json.dumps([auditor.__file__, sys.path]))"
    module, path = json.loads(installed("python", "-c", probe))
    site = next((venv / "lib").glob("python3*/site-packages")).resolve()
    assert Path(module).resolve() == site / "auditor" / "__init__.py"
    assert not [p for p in path if p and Path(p).resolve().is_relative_to(ROOT)], path

    version = installed("auditor", "--version")
    assert version.strip() == f"auditor {__version__}"

    run = demo_run()
    results = write_results(run, tmp_path / "results")
    out = tmp_path / "reports"
    printed = installed("auditor", "report", "--results", results, "--out", out)
    index = out / "index.html"
    assert printed.strip() == f"reports: {index.resolve()}"

    overview = index.read_text(encoding="utf-8")
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html") if p != index}
    customers = sorted({h.customer for h in run.hosts})
    assert customers == ["Bäckerei Sonnenschein", "Kanzlei Weber & Partner"]
    assert len(pages) == len(customers), sorted(pages)
    for customer in customers:
        name = str(markupsafe.escape(customer))
        assert name in overview, customer
        named = [f for f, html in pages.items() if name in html]
        assert len(named) == 1, f"{customer}: named on {named}"
        assert f'href="{named[0]}' in overview, f"index.html does not link {named[0]}"
        if customer == "Bäckerei Sonnenschein":  # its five hosts in demo_run()
            assert HEADLINE in pages[named[0]]


def test_installed_wheel_keeps_history_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    """The migrations travel in the wheel: the installed auditor creates, fills and reads a store."""
    db = f"sqlite:///{tmp_path / 'state' / 'history.sqlite'}"
    auditor = venv / "bin" / "auditor"
    created = _ok(_run([auditor, "db", "upgrade", "--db", db], cwd=tmp_path, timeout=120))
    assert created.strip().endswith("schema empty -> 0003")
    results = write_results(demo_run(), tmp_path / "results")
    imported = _ok(_run([auditor, "import", results, "--db", db], cwd=tmp_path, timeout=120))
    assert imported.strip().endswith("imported")
    out = tmp_path / "again"
    _ok(_run([auditor, "report", "--from-db", "--db", db, "--out", out], cwd=tmp_path, timeout=120))
    assert "Erster Lauf in der Historie" in (out / "baeckerei-sonnenschein.html").read_text("utf-8")
