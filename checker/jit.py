"""The compiler of the compiled engines: numba's `njit` (cached in numba's own __pycache__ files),
or a plain-Python stand-in when numba is missing, plus the jitted twin of checker/fingerprint.py.

Owns nothing but that choice and `fingerprint_row`; it must stay cheap to import only when a
compiled engine runs (nothing imports it at start-up), and never reads back any file of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from checker.fingerprint import _GOLDEN, _M1, _M2, _SEED, MASK64, mix64

F = TypeVar("F", bound=Callable[..., Any])

_njit: Any
try:
    from numba import njit as _njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - the default install has numba
    HAVE_NUMBA = False
    _njit = None


def _has_nrt_option() -> bool:
    """Whether this numba takes `_nrt=False` (a private option of its CPU target, there since long before the
    0.59 we require): a numba that drops it still runs `njit_bare` functions, with reference counting."""
    try:
        from numba.core.cpu import CPUTargetOptions
    except ImportError:  # pragma: no cover
        return False
    return hasattr(CPUTargetOptions, "_nrt")


def njit(fn: F) -> F:
    """`numba.njit(cache=True)`, or `fn` itself without numba (same results, much slower)."""
    if _njit is None:  # pragma: no cover
        return fn
    return cast(F, _njit(cache=True, nogil=True)(fn))


def njit_inline(fn: F) -> F:
    """`njit` for a small helper of a kernel, inlined into its callers at numba's IR level: no call, and
    no reference counting of its array arguments per call (which costs more than the helper itself)."""
    if _njit is None:  # pragma: no cover
        return fn
    return cast(F, _njit(cache=True, nogil=True, inline="always")(fn))


def njit_bare(fn: F) -> F:
    """`njit` without numba's reference counting of arrays (its NRT): for kernels whose loops take array
    views or call helpers with array arguments, each of which would otherwise cost two atomic operations. Such
    a function must allocate no array (numba refuses to compile it then) and return none."""
    if _njit is None:  # pragma: no cover
        return fn
    if not _has_nrt_option():  # pragma: no cover - a future numba: correct, slower
        return cast(F, _njit(cache=True, nogil=True)(fn))
    return cast(F, _njit(cache=True, nogil=True, _nrt=False)(fn))


M1 = np.uint64(_M1)
M2 = np.uint64(_M2)
SEED = np.uint64(_SEED)
S33 = np.uint64(33)
#: limb keys and their mixed zero values of checker.fingerprint, for up to 64 limbs
LIMB_KEYS = np.array([((i + 1) * _GOLDEN) & MASK64 for i in range(64)], dtype=np.uint64)
LIMB_ZERO = np.array([mix64(int(k)) for k in LIMB_KEYS], dtype=np.uint64)


@njit
def mix64_jit(x: np.uint64) -> np.uint64:
    x = x ^ (x >> S33)
    x = x * M1
    x = x ^ (x >> S33)
    x = x * M2
    return x ^ (x >> S33)  # type: ignore[no-any-return]


@njit
def fingerprint_row(row: Any, keys: Any, zero: Any) -> np.uint64:
    """`checker.fingerprint.fingerprint_int` of the integer whose 64-bit limbs are `row` (least first)."""
    acc = np.uint64(0)
    for i in range(row.shape[0]):
        limb = row[i]
        if limb != 0:
            acc ^= mix64_jit(limb ^ keys[i]) ^ zero[i]
    return mix64_jit(acc ^ SEED)
