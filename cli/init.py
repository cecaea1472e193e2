"""`aleph init`: editable copies of the default configs, where aleph finds them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from alephtx.cli.main import app, console, data_dir, fail
from alephtx.core.config.resources import CONFIG_FILES, packaged_config, user_config_dir


@app.command()
def init(
    folder: Annotated[
        Path | None,
        typer.Argument(help="Where to write them (default: the config folder, ~/.config/alephtx)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files that are already there.")] = False,
) -> None:
    """Write editable copies of the default configs (aleph.toml, risk.toml, strategies.toml, node.toml)."""
    home = user_config_dir()
    where = (folder or home).expanduser().absolute()
    targets = [where / name for name in CONFIG_FILES]
    there = [t for t in targets if t.exists()]
    if there and not force:
        raise fail(
            f"init: {', '.join(str(t) for t in there)} already there; nothing written "
            "(--force replaces them with the defaults)"
        )
    try:
        where.mkdir(parents=True, exist_ok=True)
        for name, target in zip(CONFIG_FILES, targets, strict=True):
            shutil.copyfile(packaged_config(name), target)
    except OSError as exc:
        raise fail(f"init: {where}: {exc.strerror or exc}") from None
    for target in targets:
        console.print(f"wrote {target}", highlight=False, soft_wrap=True)
    if where == home:
        console.print(
            "aleph reads them from now on: aleph.toml for every command, strategies.toml and risk.toml for "
            "`aleph up`, `aleph paper` and the agent's desk. Risk limits are read at start: loosening one is "
            "an edit here and a restart.",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"to use them: export ALEPH_CONFIG_DIR={where} (or name each file: ALEPH_CONFIG={targets[0]}, "
            f"`aleph up --config {targets[2]} --risk {targets[1]}`, `aleph node --config {targets[3]}`)",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"data folder: {data_dir()} (change it with data_dir in aleph.toml or --data-dir)",
        highlight=False,
        soft_wrap=True,
    )
