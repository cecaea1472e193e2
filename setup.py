"""Build glue: maps the top-level folders onto the `alephtx` namespace and compiles Cython.

Everything declarative lives in pyproject.toml; only what needs code is here.
"""

from __future__ import annotations

import os

from Cython.Build import cythonize
from setuptools import Extension, setup

# Folder -> import name. Nothing is importable as a bare `core` or `tools`.
ROOTS = {
    "core": "alephtx.core",
    "agent": "alephtx.agent",
    "tools": "alephtx.tools",
    "cli": "alephtx.cli",
    "evals": "alephtx.evals",
    "proto": "alephtx.proto",
    "prompts": "alephtx.prompts",
    "configs": "alephtx.configs",
    "emulators": "alephtx.emulators",
}


def generate_grpc_stubs() -> None:
    """proto/aleph.proto -> proto/aleph_pb2.py, aleph_pb2.pyi, aleph_pb2_grpc.py (package imports)."""
    from grpc_tools import protoc

    args = [
        "protoc",
        "-Iproto",
        "--python_out=proto",
        "--pyi_out=proto",
        "--grpc_python_out=proto",
        "proto/aleph.proto",
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed on proto/aleph.proto")
    grpc_file = os.path.join("proto", "aleph_pb2_grpc.py")
    with open(grpc_file) as f:
        text = f.read()
    with open(grpc_file, "w") as f:
        f.write(text.replace("import aleph_pb2 as aleph__pb2", "from alephtx.proto import aleph_pb2 as aleph__pb2"))


# Folders under ROOTS that are never part of the package, and files that are never package data
# (sources the build compiles, what it or an editor leaves behind).
SKIP_DIRS = ("tests", "bench", "build", "dist", "node_modules", "var")
NOT_DATA = (".py", ".pyc", ".pyo", ".c", ".so", ".pyd", ".html", "~")


def _skipped(d: str) -> bool:
    return d.startswith((".", "__")) or d in SKIP_DIRS or d.endswith(".egg-info")


def packages() -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    """Every folder under ROOTS is a package. One that holds Python code (and each root) must say
    so with an __init__.py: one without fails the build here instead of being left out of the
    wheel. Folders of data only (the sample capture, the eval cases) are data packages. Every file
    but code and build output is package data, so nothing needs a list kept up to date."""
    found: list[str] = []
    mapping: dict[str, str] = {}
    data: dict[str, list[str]] = {}
    missing: list[str] = []
    for folder, name in ROOTS.items():
        for path, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not _skipped(d))
            code = any(f.endswith((".py", ".pyx")) for f in files)
            if "__init__.py" not in files and (code or path == folder):
                missing.append(path)
            pkg = name + path[len(folder) :].replace(os.sep, ".")
            found.append(pkg)
            mapping[pkg] = path
            data[pkg] = sorted(f for f in files if not f.startswith(".") and not f.endswith(NOT_DATA))
    if missing:
        raise SystemExit(
            "setup.py: these folders hold Python code but have no __init__.py, so they would be left out of "
            "the package: " + ", ".join(missing) + ". Add one (a docstring is enough)."
        )
    return found, mapping, data


def extensions() -> list[Extension]:
    exts = []
    for folder, name in ROOTS.items():
        for path, _dirs, files in os.walk(folder):
            for f in files:
                if f.endswith(".pyx"):
                    mod = name + path[len(folder) :].replace(os.sep, ".") + "." + f[:-4]
                    exts.append(Extension(mod, [os.path.join(path, f)], extra_compile_args=["-O3"]))
    return cythonize(exts, compiler_directives={"language_level": "3"}, quiet=True)


generate_grpc_stubs()
pkgs, pkg_dir, pkg_data = packages()
setup(packages=pkgs, package_dir=pkg_dir, package_data=pkg_data, ext_modules=extensions())
