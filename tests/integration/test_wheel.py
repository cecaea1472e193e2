"""The package as a user gets it: a wheel built the standard way, installed into a fresh venv with
the checkout's editable finder out of reach, and run from an empty folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

# What the build never reads: the venv, tests, build output, caches, local state.
NOT_COPIED = {"tests", "bench", "build", "dist", "node_modules", "var", "reports", "docs", "__pycache__"}


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in NOT_COPIED or n.startswith(".") or n.endswith((".so", ".egg-info", ".pyc", "~"))}


@dataclass(frozen=True)
class Installed:
    src: Path  # the copy of the working tree the wheel was built from
    wheel: Path
    bin: Path
    home: Path  # HOME, with XDG_CONFIG_HOME and XDG_DATA_HOME inside
    cwd: Path  # an empty folder to run from

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ALEPH_", "XDG_", "PYTHON"))}
        return env | {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "PATH": f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "aleph"), *args], cwd=self.cwd, env=self.env(), capture_output=True, text=True, timeout=120
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("wheel")
    # A copy of the working tree, so that the build's own output (build/, egg-info, stubs) stays
    # out of the checkout; the .c files come along with their times, so Cython is not rerun.
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(work / "dist"),
            ".",
        ],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (work / "dist").glob("alephtx-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    # pip runs under the new venv's interpreter (--python), so it sees only the new venv.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=120,
    )
    # The dependencies from .venv: a path line in a .pth adds the folder to sys.path without
    # processing the .pth files in it, so .venv's editable finder (__editable__*.pth) stays off.
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "aleph-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    home = work / "home"
    cwd = work / "empty"
    home.mkdir()
    cwd.mkdir()
    yield Installed(src, wheel, venv / "bin", home, cwd)
    assert not list(cwd.iterdir()), "something was written into the current folder"


def test_the_wheel_holds_every_package_and_the_package_data(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for name in (
        "alephtx/core/oms/__init__.py",
        "alephtx/core/oms/manager.py",
        "alephtx/configs/aleph.toml",
        "alephtx/configs/risk.toml",
        "alephtx/configs/strategies.toml",
        "alephtx/prompts/system.v1.md",
        "alephtx/core/replay/sample/btcusdt_20240808_head20k.gz",
        "alephtx/proto/aleph.proto",
        "alephtx/proto/aleph_pb2_grpc.py",
        "alephtx/evals/cases/injection.toml",
    ):
        assert name in names, name
    # Every source module it was built from is in the wheel.
    for root in ("core", "agent", "tools", "cli", "evals"):
        for py in (installed.src / root).rglob("*.py"):
            assert f"alephtx/{py.relative_to(installed.src).as_posix()}" in names, py


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    code = "import alephtx.core, alephtx.core.engine, alephtx.core.oms.manager; print(alephtx.core.__file__)"
    out = subprocess.run(
        [str(installed.bin / "python"), "-c", code],
        cwd=installed.cwd,
        env=installed.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_relative_to(installed.bin.parent), out.stdout
    # `python -m alephtx.cli` is the same command as the script.
    out = subprocess.run(
        [str(installed.bin / "python"), "-m", "alephtx.cli", "version"],
        cwd=installed.cwd,
        env=installed.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and "compiled" in out.stdout, out.stderr


def test_replay_of_the_bundled_sample_from_an_empty_folder(installed: Installed) -> None:
    out = installed.run("replay", "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["messages"] == {"snapshot": 1, "depth": 1598, "trade": 3024, "bookTicker": 15377}
    assert s["best_bid"] == ["61803.80", "1.910"] and s["best_ask"] == ["61803.90", "3.650"]
    assert s["matches_last_book_ticker"] is True
    assert Path(s["file"]).is_relative_to(installed.bin.parent)  # the packaged sample


def test_up_writes_into_the_data_folder(installed: Installed) -> None:
    out = installed.run("up", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report["strategies"]) == {"grid", "trend", "meanrev", "mm", "arb", "multi"}
    up = installed.home / ".local" / "share" / "alephtx" / "up"
    assert (up / "report.html").is_file() and (up / "journal.db").is_file()
    assert not list(installed.cwd.iterdir())


async def test_mcp_lists_its_tools(installed: Installed) -> None:
    params = StdioServerParameters(
        command=str(installed.bin / "aleph"), args=["mcp"], env=installed.env(), cwd=str(installed.cwd)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name for t in (await session.list_tools()).tools}
    assert {"get_ticker", "propose_order", "confirm_order", "halt_trading", "search_notes"} <= tools
    assert (installed.home / ".local" / "share" / "alephtx" / "desk" / "journal.db").is_file()
    assert not list(installed.cwd.iterdir())
