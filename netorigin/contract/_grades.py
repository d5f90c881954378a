"""WHO 2019 grading from the figures a case records: the grade from Ki-67, the band of the mitotic
count."""

from __future__ import annotations

import numpy as np

from ._fields import MITOSES_BANDS


def grade_from_ki67(ki67: np.ndarray) -> np.ndarray:
    """WHO 2019 grade (1, 2, 3; NaN where unknown) from the Ki-67 index in percent.

    >>> grade_from_ki67(np.array([1.0, 3.0, 20.0, 21.0, np.nan])).tolist()
    [1.0, 2.0, 2.0, 3.0, nan]
    """
    k = np.asarray(ki67, dtype=float)
    g = np.where(k < 3, 1.0, np.where(k <= 20, 2.0, 3.0))
    return np.where(np.isnan(k), np.nan, g)


def mitoses_band_index(values) -> np.ndarray:
    """WHO band of the mitotic count as 0 (<2), 1 (2-20), 2 (>20); NaN where unknown.

    >>> import pandas as pd
    >>> mitoses_band_index(pd.Series(["<2", "7", None, ">20", "2"])).tolist()
    [0.0, 1.0, nan, 2.0, 1.0]
    """
    if not hasattr(values, "iloc"):  # NumPy columns (cases validated one by one, or edited): no pandas
        memo: dict = {}
        return np.array([memo[v] if v in memo else memo.setdefault(v, _mitoses_band(v)) for v in values], dtype=float)
    import pandas as pd

    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    band = np.array([_mitoses_band(v) for v in uniques] + [np.nan], dtype=float)
    return band[codes]


def _mitoses_band(v) -> float:
    if not isinstance(v, str):
        return np.nan
    if v in MITOSES_BANDS:
        return float(MITOSES_BANDS.index(v))
    x = float(v)
    return 0.0 if x < 2 else (1.0 if x <= 20 else 2.0)
