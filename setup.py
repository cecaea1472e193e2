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


def packages() -> tuple[list[str], dict[str, str]]:
    found: list[str] = []
    mapping: dict[str, str] = {}
    for folder, name in ROOTS.items():
        for path, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
            if "__init__.py" in files:
                pkg = name + path[len(folder) :].replace(os.sep, ".")
                found.append(pkg)
                mapping[pkg] = path
    return found, mapping


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
pkgs, pkg_dir = packages()
setup(packages=pkgs, package_dir=pkg_dir, ext_modules=extensions())
