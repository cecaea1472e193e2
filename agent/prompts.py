"""Prompts as versioned text files in prompts/ (shipped as ``alephtx.prompts``): ``<name>.v<N>.md``,
loaded by name."""

from __future__ import annotations

import re
from pathlib import Path

from alephtx.core.config.resources import prompts_dir
from alephtx.core.errors import FieldError

__all__ = ["PROMPTS", "load", "versions"]

PROMPTS = prompts_dir()
_FILE = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>[0-9]+)\.md$")


def versions(name: str, folder: Path = PROMPTS) -> list[int]:
    found = []
    for p in folder.iterdir():
        m = _FILE.match(p.name)
        if m and m["name"] == name:
            found.append(int(m["version"]))
    return sorted(found)


def load(name: str, version: int | None = None, folder: Path = PROMPTS) -> tuple[str, int]:
    """(text, version) of a prompt: the highest version unless one is asked for."""
    have = versions(name, folder)
    if not have:
        raise FieldError("prompt", name, f"no {name}.v<N>.md in {folder}")
    v = have[-1] if version is None else version
    if v not in have:
        raise FieldError("version", version, f"{name} has versions {have}")
    return (folder / f"{name}.v{v}.md").read_text().strip(), v
