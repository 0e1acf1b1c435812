"""A user's own properties (`--property MODULE:FUNCTION`): load one, check its signature, guard its calls.

Owns turning a plain function over a `WorldView` into a `Property` exactly like the built-ins,
so every checker (explorer, simulation, fuzzing, replay, validation) judges it the same way.
It defines no property and must not import checker/; the checker turns a `PropertyError` into
a one-line usage error (exit 2).

A property function returns None or True when it holds, False or a sentence saying why when it
fails. Its kind is given by a decorator (`@always`, `@sometimes`, `@step`) or, without one, by
its parameters: one (a view) is `always`, two (the views before and after a step) is `step`.
A step property is judged only on steps that change the view: a step that changes nothing a
property can see is a stutter, as in TLA+'s [][A]_vars.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, cast, overload

from paxos import ConfigurationError, is_path_spec, load_module_file, split_spec
from paxos._guard import own_failure
from properties.invariants import BY_NAME, HISTORY, PROPERTIES, Kind, Property, WorldView

F = TypeVar("F", bound=Callable[..., Any])

#: Attributes the decorators set on a function.
KIND_ATTR, NAME_ATTR, DESCRIPTION_ATTR = "paxos_property_kind", "paxos_property_name", "paxos_property_description"
#: Names the checker itself gives to properties that are not in PROPERTIES.
RESERVED = frozenset({"refines_spec", "node_error"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ARITY: dict[str, int] = {"always": 1, "sometimes": 1, "step": 2}


class PropertyError(Exception):
    """A user property that cannot be used: the message says what is wrong and how to fix it."""


class Marker(Protocol):
    """`@always`, `@always(name=..., description=...)` (and likewise `sometimes`, `step`)."""

    @overload
    def __call__(self, fn: F, /) -> F: ...
    @overload
    def __call__(self, fn: None = None, /, *, name: str | None = None,
                 description: str | None = None) -> Callable[[F], F]: ...


def _decorator(kind: Kind) -> Marker:
    def decorate(fn: Any = None, *, name: str | None = None, description: str | None = None) -> Any:
        def mark(f: Any) -> Any:
            setattr(f, KIND_ATTR, kind)
            if name is not None:
                setattr(f, NAME_ATTR, name)
            if description is not None:
                setattr(f, DESCRIPTION_ATTR, description)
            return f

        return mark(fn) if fn is not None else mark

    decorate.__name__ = kind
    decorate.__doc__ = (f"Mark a function as a `{kind}` property (optionally `name=`, `description=`); "
                        f"it takes {_ARITY[kind]} WorldView argument(s).")
    return cast(Marker, decorate)


always = _decorator("always")
sometimes = _decorator("sometimes")
step = _decorator("step")


def load_property(spec: str) -> Property:
    """The `Property` named by `MODULE:FUNCTION`; a PropertyError (one line) if it cannot be one."""
    module_name, attr = split_spec(spec)
    if not module_name or not attr:
        raise PropertyError(f"--property {spec!r}: expected MODULE:FUNCTION or PATH.py:FUNCTION, "
                            "e.g. examples.my_properties:one_leader")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: the current project's modules import
    try:
        module = (load_module_file(module_name, "--property") if is_path_spec(spec)
                  else importlib.import_module(module_name))
    except ConfigurationError as exc:  # a path the command line did not give, or no such file
        raise PropertyError(f"--property {spec!r}: {exc}") from None
    except BaseException as exc:  # the user's module failed to import, whatever the reason (sys.exit too)
        if not own_failure(exc):
            raise
        raise PropertyError(f"--property {spec!r}: cannot import module {module_name!r}: "
                            f"{_described(exc)}") from None
    fn = getattr(module, attr, None)
    if fn is None:
        raise PropertyError(f"--property {spec!r}: module {module_name!r} has no attribute {attr!r}")
    if not callable(fn):
        raise PropertyError(f"--property {spec!r}: {attr!r} is not a function; name a function of a WorldView")
    kind = _kind_of(spec, fn)
    name = getattr(fn, NAME_ATTR, None) or getattr(fn, "__name__", attr)
    if not isinstance(name, str) or not _NAME.match(name):
        raise PropertyError(f"--property {spec!r}: its name {name!r} must be an identifier (letters, digits, _); "
                            "give one with @always(name=...)")
    if name in BY_NAME or name in RESERVED:
        raise PropertyError(f"--property {spec!r}: {name!r} is the name of a built-in property; "
                            "rename the function or give it another name with @always(name=...)")
    doc = inspect.getdoc(fn) or ""
    description = getattr(fn, DESCRIPTION_ATTR, None) or (doc.splitlines()[0] if doc else f"user property {spec}")
    return Property(name, kind, str(description), _guarded(spec, name, kind, fn), HISTORY)


def load_properties(specs: Sequence[str]) -> tuple[Property, ...]:
    """Every property named in `specs`, in order; two with one name are a PropertyError."""
    out: list[Property] = []
    for spec in specs:
        prop = load_property(spec)
        if any(p.name == prop.name for p in out):
            raise PropertyError(f"--property {spec!r}: a property named {prop.name!r} was given already; "
                                "give each property once, with its own name")
        out.append(prop)
    return tuple(out)


def with_builtins(user: Sequence[Property]) -> tuple[Property, ...]:
    """The built-in properties and then the user's, the `sometimes` witness last (report order)."""
    body = tuple(p for p in PROPERTIES if p.kind != "sometimes")
    tail = tuple(p for p in PROPERTIES if p.kind == "sometimes")
    return (*body, *user, *tail)


def probe(props: Sequence[Property], view: WorldView) -> None:
    """Call each user property once on `view` (an initial state): one that raises there or returns
    something other than a verdict is a PropertyError, before any search."""
    for p in props:
        fn = getattr(p.check, "user_function", None)
        if fn is None:
            continue
        spec = getattr(p.check, "user_spec", p.name)
        args = (view, view) if p.kind == "step" else (view,)
        try:
            result = fn(*args)
        except BaseException as exc:
            if not own_failure(exc):
                raise
            raise PropertyError(f"--property {spec!r} raised {_described(exc)}{_where(exc)} on the "
                                "initial state; fix the property") from None
        if not _is_verdict(result):
            raise PropertyError(f"--property {spec!r} returned {type(result).__name__} {_short(result)} on the "
                                "initial state; a property returns None or True (holds), False or a reason "
                                "string (fails)")


def _kind_of(spec: str, fn: Callable[..., Any]) -> Kind:
    declared = getattr(fn, KIND_ATTR, None)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise PropertyError(f"--property {spec!r}: its signature cannot be read; use a plain Python function") from None
    params = list(sig.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    keyword_only = [p for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    star = any(p.kind == p.VAR_POSITIONAL for p in params)
    if keyword_only:
        raise PropertyError(f"--property {spec!r}: keyword-only parameter(s) "
                            f"{', '.join(p.name for p in keyword_only)} without defaults; a property takes "
                            "(view) or (before, after)")

    def takes(n: int) -> bool:
        return len(required) <= n and (len(positional) >= n or star)

    if declared is not None:
        if declared not in _ARITY:
            raise PropertyError(f"--property {spec!r}: unknown kind {declared!r}; use always, sometimes or step")
        if not takes(_ARITY[declared]):
            raise PropertyError(f"--property {spec!r}: a {declared} property takes "
                                f"{'(view)' if _ARITY[declared] == 1 else '(before, after)'}, but it has the "
                                f"signature {sig}")
        kind: Kind = declared
        return kind
    if len(required) == 2:
        return "step"
    if len(required) <= 1 and takes(1):
        return "always"
    raise PropertyError(f"--property {spec!r}: it has the signature {sig}; a property takes (view) (an "
                        "always invariant) or (before, after) (a step property), or mark it @sometimes")


def _guarded(spec: str, name: str, kind: Kind, fn: Callable[..., Any]) -> Callable[..., str | None]:
    """`fn` as a `Property.check`: None if it holds, else a reason. A raise or a wrong return value
    during a run is a finding of this property that says so, never a traceback."""

    def check(*views: WorldView) -> str | None:
        if kind == "step" and views[0] == views[1]:
            return None  # a stutter: nothing a property can see changed
        try:
            result = fn(*views)
        except BaseException as exc:  # SystemExit and a KeyboardInterrupt of its own included
            if not own_failure(exc):
                raise  # the checker stopping the run (time limit, Ctrl-C), not the property's fault
            return f"the property itself raised {_described(exc)}{_where(exc)}"
        if result is None or result is True:
            return None
        if result is False:
            return f"{name} is false"
        if isinstance(result, str):
            return result or f"{name} is false"
        return (f"the property returned {type(result).__name__} {_short(result)}; expected None or True "
                "(holds), False or a reason string (fails)")

    check.user_function = fn  # type: ignore[attr-defined]
    check.user_spec = spec  # type: ignore[attr-defined]
    check.__name__ = name
    return check


def _is_verdict(result: object) -> bool:
    return result is None or isinstance(result, (bool, str))


def _described(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" at {os.path.basename(last.filename)}:{last.lineno}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
