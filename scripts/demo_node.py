"""`make demo`'s last step: the platform's main job for a few seconds. Starts `aleph node` on the
packaged defaults (its own data folder, a free gRPC port), lets its grid and market maker trade, shows
`aleph status` and `aleph positions` from the node, then stops it with Ctrl-C (SIGINT)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from alephtx.core.config import load_config

ALEPH = [sys.executable, "-m", "alephtx.cli"]


def main(seconds: float = 15.0) -> int:
    data = Path(load_config().data_dir) / "demo-node"
    node = subprocess.Popen(
        [*ALEPH, "--data-dir", str(data), "node", "--grpc-port", "0"], stdout=subprocess.PIPE, text=True
    )
    assert node.stdout is not None
    address = ""
    for line in node.stdout:
        print(line, end="")
        if line.startswith("gRPC: "):
            address = line.split()[1]
        if line.startswith("strategies running"):
            break
    if not address:
        print("the node did not start", file=sys.stderr)
        return node.wait() or 1
    time.sleep(seconds)
    for cmd in (["status"], ["positions"], ["orders", "--open"]):
        subprocess.run([*ALEPH, *cmd, "--node", address], check=False)
    node.send_signal(signal.SIGINT)
    rest, _ = node.communicate(timeout=30)
    print(rest, end="")
    return node.returncode


if __name__ == "__main__":
    raise SystemExit(main())
