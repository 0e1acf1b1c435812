"""Stable 64-bit fingerprints of states: the same value in every process, run and machine.

Owns the hash functions only (scalar and numpy-batched, which agree bit for bit). It
must not use Python's `hash()` (salted for str, and `hash(int)` is `x mod 2**61-1`) and
knows nothing about models or visited sets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from enum import Enum

import numpy as np
import numpy.typing as npt

MASK64 = (1 << 64) - 1
_M1 = 0xFF51AFD7ED558CCD
_M2 = 0xC4CEB9FE1A85EC53
_GOLDEN = 0x9E3779B97F4A7C15
_SEED = 0x243F6A8885A308D3  # digits of pi: any fixed constant works, it must never change

FpArray = npt.NDArray[np.uint64]


def mix64(x: int) -> int:
    """MurmurHash3's fmix64 finaliser: a bijection on 64-bit integers with full avalanche."""
    x &= MASK64
    x ^= x >> 33
    x = (x * _M1) & MASK64
    x ^= x >> 33
    x = (x * _M2) & MASK64
    x ^= x >> 33
    return x


def _limb_key(i: int) -> int:
    return ((i + 1) * _GOLDEN) & MASK64


_LIMB_KEYS: list[int] = [_limb_key(i) for i in range(64)]
_LIMB_ZERO: list[int] = [mix64(k) for k in _LIMB_KEYS]


def _keys(n: int) -> tuple[list[int], list[int]]:
    while len(_LIMB_KEYS) < n:
        k = _limb_key(len(_LIMB_KEYS))
        _LIMB_KEYS.append(k)
        _LIMB_ZERO.append(mix64(k))
    return _LIMB_KEYS, _LIMB_ZERO


def fingerprint_int(x: int) -> int:
    """Fingerprint of a non-negative integer (e.g. a bit-set state) of any size.

    The integer is cut into 64-bit limbs (least significant first); limb i contributes
    `mix64(limb ^ K_i) ^ mix64(K_i)` (zero for a zero limb, so the result does not depend
    on how many leading zero limbs one pads with) and the XOR of the contributions is
    mixed once more. `fingerprints_of_ints` computes the same values in bulk.
    """
    if x < 0:
        raise ValueError("fingerprint_int needs a non-negative integer")
    acc = 0
    i = 0
    keys, zero = _keys(max(1, (x.bit_length() + 63) // 64))
    while x:
        acc ^= mix64((x & MASK64) ^ keys[i]) ^ zero[i]
        x >>= 64
        i += 1
    return mix64(acc ^ _SEED)


def _mix64_np(x: FpArray) -> FpArray:
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(_M1)
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(_M2)
    x = x ^ (x >> np.uint64(33))
    return x


def fingerprints_of_ints(xs: Sequence[int], width_bytes: int) -> FpArray:
    """`fingerprint_int` of every element, vectorised; every x must be below 2**(8*width_bytes)."""
    n = len(xs)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    limbs = max(1, (width_bytes + 7) // 8)
    w = limbs * 8
    buf = b"".join([x.to_bytes(w, "little") for x in xs])
    return fingerprints_of_limbs(np.frombuffer(buf, dtype="<u8").reshape(n, limbs))


def fingerprints_of_limbs(limbs: npt.NDArray[np.uint64]) -> FpArray:
    """Fingerprints of integers given as an (n, L) array of little-endian 64-bit limbs."""
    n, width = limbs.shape
    keys, zero = _keys(width)
    acc = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(width):
            col = limbs[:, i].astype(np.uint64, copy=False)
            acc ^= _mix64_np(col ^ np.uint64(keys[i])) ^ np.uint64(zero[i])
        return _mix64_np(acc ^ np.uint64(_SEED))


def fingerprint_bytes(data: bytes) -> int:
    """Fingerprint of a canonical byte string (blake2b with an 8-byte digest)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def canonical_bytes(obj: object) -> bytes:
    """A deterministic byte encoding of nested None/bool/int/float/str/bytes/tuple/list/frozenset/dict,
    enums and dataclasses.

    Sets and dicts are encoded in sorted order of their elements' encodings, so equal
    values give equal bytes in every process (unlike `repr` of a set or `hash`). Values that
    compare equal encode equally: a float with an integral value as that int (1.0 == 1),
    -0.0 as 0, every NaN as one NaN (`paxos.freeze` makes NaNs equal in snapshots).
    """
    out = bytearray()
    _encode(obj, out)
    return bytes(out)


def _encode(obj: object, out: bytearray) -> None:
    if obj is None:
        out += b"N"
    elif obj is True or obj is False:
        out += b"T" if obj else b"F"
    elif isinstance(obj, int):
        raw = str(obj).encode()
        out += b"I" + len(raw).to_bytes(2, "little") + raw
    elif isinstance(obj, float):
        if obj.is_integer():
            _encode(int(obj), out)
        else:
            out += b"f" + (b"nan" if obj != obj else repr(obj).encode())  # repr round-trips exactly
    elif isinstance(obj, Enum):
        _encode((type(obj).__name__, obj.name), out)
    elif isinstance(obj, str):
        raw = obj.encode("utf-8")
        out += b"S" + len(raw).to_bytes(4, "little") + raw
    elif isinstance(obj, bytes):
        out += b"B" + len(obj).to_bytes(4, "little") + obj
    elif isinstance(obj, (tuple, list)):
        out += b"(" + len(obj).to_bytes(4, "little")
        for item in obj:
            _encode(item, out)
    elif isinstance(obj, (frozenset, set)):
        _encode_sorted(b"{", (canonical_bytes(x) for x in obj), out)
    elif isinstance(obj, dict):
        _encode_sorted(b"D", (canonical_bytes((k, v)) for k, v in obj.items()), out)
    else:
        fields = getattr(obj, "__dataclass_fields__", None)
        if fields is None:
            raise TypeError(f"canonical_bytes cannot encode {type(obj).__name__}; convert it to tuples first")
        name = type(obj).__name__.encode()
        out += b"C" + len(name).to_bytes(2, "little") + name
        values = [getattr(obj, f) for f in fields]
        # a field added later with `metadata={"omit_default": True}` (Nack.phase) leaves the encoding of
        # a value at its default as it was before the field existed, so old traces' fingerprints hold
        for spec in reversed(list(fields.values())):
            if spec.metadata.get("omit_default") and values and values[-1] == spec.default:
                values.pop()
            else:
                break
        _encode(tuple(values), out)


def _encode_sorted(tag: bytes, parts: Iterable[bytes], out: bytearray) -> None:
    items = sorted(parts)
    out += tag + len(items).to_bytes(4, "little")
    for raw in items:
        out += raw


def fingerprint_object(obj: object) -> int:
    """`fingerprint_bytes(canonical_bytes(obj))`: a stable fingerprint of a plain value."""
    return fingerprint_bytes(canonical_bytes(obj))


def fp_hex(fp: int) -> str:
    """16 lowercase hex digits, as in the trace CSV's `fingerprint` column."""
    return f"{fp & MASK64:016x}"
