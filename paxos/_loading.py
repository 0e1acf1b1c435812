"""Loading a user's code: a module from a file path, and a library package under a name of our choosing.

Owns `--impl path/to/node.py:factory` and `--property path/to/props.py:fn` on the import side, the rule
that code named by a *file path* is loaded only when that path was given on the command line (never
because a trace, run.json or summary names it), and `import_package_as`. No protocol logic.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import pkgutil
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

from paxos._errors import ConfigurationError

#: Real paths of the files the command line named (`trust_command_line`); None: no command line (the
#: Python API, a test, a worker process), where every path may be loaded.
_trusted: set[str] | None = None


def is_path_spec(spec: str) -> bool:
    """Whether `spec` (`TARGET:NAME`) names its module by a file path (`dir/node.py:make`), not a module name."""
    target = spec.rpartition(":")[0]
    return target.endswith(".py") or "/" in target or os.sep in target


def split_spec(spec: str) -> tuple[str, str]:
    """(module name or file path, attribute) of `TARGET:NAME`; a path may itself hold ':' (the last one splits)."""
    target, _, attr = spec.rpartition(":")
    return target, attr


@contextmanager
def command_line_trust(args: Sequence[str]) -> Iterator[None]:
    """`trust_command_line(args)` for the duration of one command; the trust before it is put back
    afterwards, so a command run in-process (tests, a notebook) leaves nothing behind."""
    global _trusted
    before = _trusted
    trust_command_line(args)
    try:
        yield
    finally:
        _trusted = before


def trust_command_line(args: Sequence[str]) -> None:
    """Trust exactly the files that `args` (a command line) names as `PATH.py:NAME`, alone or after `--flag=`."""
    global _trusted
    _trusted = set()
    for arg in args:
        value = arg.partition("=")[2] if arg.startswith("--") and "=" in arg else arg
        if ":" in value and is_path_spec(value):
            _trusted.add(os.path.realpath(split_spec(value)[0]))


def load_module_file(path: str, flag: str = "--impl") -> ModuleType:
    """Import the Python file at `path` (it need not be importable by name) with its directory first on
    `sys.path`, so the modules next to it import as top-level names. Loaded once per file and process."""
    real = os.path.realpath(path)
    if _trusted is not None and real not in _trusted:
        raise ConfigurationError(
            f"the file {path} is named by a file (a trace, run.json or summary), not by the command line; "
            f"paxos-check loads code from a file path only when that path is on the command line: "
            f"add {flag} {path}:NAME")
    if not os.path.isfile(real):
        raise ConfigurationError(f"no such file {path}; give PATH.py:NAME with the path of a Python file")
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(real))[0])
    name = f"_paxos_file_{stem}_{hashlib.blake2b(real.encode(), digest_size=4).hexdigest()}"
    if name in sys.modules:
        return sys.modules[name]
    directory = os.path.dirname(real)
    if directory not in sys.path:
        # first, as `python file.py` would, unless the folder holds a module of a name already imported
        # (a library's own `paxos/` next to its adapter): last, so that name stays ours in worker processes
        # that start from this sys.path
        names = {os.path.splitext(n)[0] for n in os.listdir(directory)}
        sys.path.insert(len(sys.path) if names & set(sys.modules) else 0, directory)
    spec = importlib.util.spec_from_file_location(name, real)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"{path} is not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class _Redirect(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """While a package loads under its new name: `import OLD.x` and `from OLD import x` give `NEW.x`."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname.startswith(self.old + "."):
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.new + spec.name[len(self.old):])

    def exec_module(self, module: ModuleType) -> None:
        return None  # already executed under its new name


def import_package_as(directory: str | os.PathLike[str], name: str) -> ModuleType:
    """Import the package in `directory` (a folder with `__init__.py`) as `name`, every module of it included.

    For a library whose own top-level package has a name taken by another one (`paxos`, ours): its
    modules' imports of each other (`from paxos.messages import Prepare`, `import paxos.node`, relative
    imports) resolve to the library, and afterwards `name`, `name.messages`, ... are the library while
    `paxos` is ours again. Every module of the package is imported now, while its old name points to
    it; an import the library makes later, inside a function, would find ours (say so in its adapter).
    """
    real = os.path.realpath(directory)
    init = os.path.join(real, "__init__.py")
    if not os.path.isfile(init):
        raise ConfigurationError(f"{directory} is not a package (no __init__.py in it)")
    if name in sys.modules:
        return sys.modules[name]
    old = os.path.basename(real)
    saved = {k: m for k, m in sys.modules.items() if k == old or k.startswith(old + ".")}
    for key in saved:
        del sys.modules[key]
    redirect = _Redirect(old, name)
    sys.meta_path.insert(0, redirect)
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[real])
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = sys.modules[old] = package
    try:
        spec.loader.exec_module(package)
        for info in pkgutil.walk_packages([real], prefix=name + "."):
            importlib.import_module(info.name)
    except BaseException:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        raise
    finally:
        sys.meta_path.remove(redirect)
        for key in [k for k in sys.modules if k == old or k.startswith(old + ".")]:
            del sys.modules[key]
        sys.modules.update(saved)
    return package


def trusted_paths() -> Iterable[str] | None:
    """The files the command line vouches for (None: no command line, everything may load)."""
    return None if _trusted is None else frozenset(_trusted)
