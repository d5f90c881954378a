"""pandas' missing-value singletons recognised without importing pandas: ``pd.NA`` and ``pd.NaT``
by their types, one test whatever the process has imported (tests/test_runtime.py holds it to
``pandas.isna``)."""

from __future__ import annotations

from typing import Any

_TYPES = frozenset({"NAType", "NaTType"})


def is_pandas_missing(v: Any) -> bool:
    """Whether ``v`` is pandas' ``NA`` or ``NaT`` (False for anything else, pandas imported or not).

    >>> is_pandas_missing(None), is_pandas_missing(float("nan"))
    (False, False)
    """
    t = type(v)
    return t.__name__ in _TYPES and t.__module__.partition(".")[0] == "pandas"
