"""NumPy's ``np.unique`` for the cases scoring needs, without the import of ``numpy.ma`` that NumPy's
own makes on first use (about 10 ms of a cold start): the sorted distinct integers of an array, and
each distinct row's first row and every row's group (tests/test_runtime.py holds both to
``np.unique``)."""

from __future__ import annotations

import numpy as np


def sorted_unique(a) -> np.ndarray:
    """``np.unique(a)`` of a 1-d integer array: its distinct values, sorted."""
    a = np.sort(np.asarray(a).ravel())
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def first_and_group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, axis=0, return_index=True, return_inverse=True)[1:]`` of a 1-d integer or a
    2-d unsigned-byte array: the first row of each distinct value (row), in sorted order, and each
    row's group (the index of its value among them)."""
    keys = np.asarray(keys)
    order = np.argsort(keys, kind="stable") if keys.ndim == 1 else np.lexsort(keys.T[::-1])
    s = keys[order]
    if not len(s):
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    new = np.r_[True, (s[1:] != s[:-1]) if keys.ndim == 1 else (s[1:] != s[:-1]).any(axis=1)]
    group = np.empty(len(keys), dtype=np.intp)
    group[order] = np.cumsum(new) - 1
    return order[new], group
