"""A catalog on object storage, as a team shares one: `aleph data import/ls/verify/show`,
`aleph replay DATASET` and the replay's windows against an S3 server on loopback (moto's server:
S3's own HTTP protocol, since no object store of the internet can be reached here; s3fs writes
and polars' object-store reader reads, as against AWS or MinIO). Credentials and the endpoint
come from the environment only."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alephtx.core.config.resources import sample_capture
from alephtx.core.data.catalog import Catalog
from alephtx.core.data.tapes import tapes
from tests.integration.test_catalog_replay import events
from tests.integration.test_cli import ALEPH
from tests.integration.test_data_catalog import INST, Env

DATASET = "binance-usdm/futures/BTCUSDT"
KEYS = {"AWS_ACCESS_KEY_ID": "team-key", "AWS_SECRET_ACCESS_KEY": "team-secret", "AWS_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    """An S3 endpoint on 127.0.0.1 with a bucket, and the environment that reaches it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {**KEYS, "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        import s3fs

        s3fs.S3FileSystem().mkdir("team-data")
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def test_a_catalog_in_a_bucket_imports_lists_verifies_and_replays(tmp_path: Path, s3: dict[str, str]) -> None:
    env = Env(tmp_path)
    env.vars.update(s3)
    url = "s3://team-data/catalog"

    def aleph(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ALEPH, *args], capture_output=True, text=True, timeout=300, env=env.vars, cwd=env.cwd)

    out = aleph("data", "import", str(sample_capture()), "--catalog", url, "--json")
    assert out.returncode == 0, out.stderr
    assert not (env.data / "catalog").exists()  # nothing local
    listed = json.loads(aleph("data", "ls", "--catalog", url, "--json").stdout)
    assert [d["dataset"] for d in listed] == [DATASET] and listed[0]["rows"]["book"] > 0
    assert aleph("data", "verify", "--catalog", url).returncode == 0
    shown = aleph("data", "show", DATASET, "--catalog", url, "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["dataset"] == DATASET, shown.stderr
    remote = aleph("replay", DATASET, "--catalog", url, "--json")
    local = aleph("replay", str(sample_capture()), "--json")
    assert remote.returncode == 0, remote.stderr
    r, c = json.loads(remote.stdout), json.loads(local.stdout)
    assert (r["best_bid"], r["best_ask"], r["level_updates"], r["gaps"]) == (
        c["best_bid"], c["best_ask"], c["level_updates"], c["gaps"]
    )  # fmt: skip
    # The secret never reaches what a person reads.
    assert all(s3["AWS_SECRET_ACCESS_KEY"] not in x for x in (out.stdout, out.stderr, remote.stdout, remote.stderr))
    # A store that cannot be reached: one line naming the catalog, in seconds, no traceback.
    gone = {**env.vars, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    for args in (("data", "ls", "--catalog", url), ("replay", DATASET, "--catalog", url)):
        out = subprocess.run([*ALEPH, *args], capture_output=True, text=True, timeout=120, env=gone, cwd=env.cwd)
        assert out.returncode == 2 and "cannot be read" in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert s3["AWS_SECRET_ACCESS_KEY"] not in out.stderr


def test_the_windows_of_a_remote_dataset_are_the_local_ones(tmp_path: Path, s3: dict[str, str]) -> None:
    remote = Catalog("s3://team-data/windows")
    remote.import_capture(sample_capture(), INST)
    local = Catalog(tmp_path / "local")
    local.import_capture(sample_capture(), INST)
    got: list[Any] = [e for t in tapes(remote, DATASET, window=4096) for e in events(t)]
    want: list[Any] = [e for t in tapes(local, DATASET, window=4096) for e in events(t)]
    assert got == want and len(got) > 1000
