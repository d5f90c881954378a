"""The labels a model is fitted and scored on, read one way everywhere: site names, sub-site names
(each counted as its site), or the integer codes scikit-learn's ``LabelEncoder`` gives the site
names; and the order of the sites scikit-learn's tools expect (:data:`CLASSES`)."""

from __future__ import annotations

import numpy as np

from ..contract import DETAIL_TO_SITE, FIELDS, LABEL_SITE, SITE_DETAILS, SITES
from ..exceptions import InputError

CLASSES = tuple(sorted(SITES))  # the sites as scikit-learn orders them (np.unique): every classes_ of sites


def read_labels(y, n: int | None = None, detail=None, *, classes=CLASSES, integers: bool = True, field: str = "y"):
    """``(site code per case (0 ileal, 1 pancreatic, 2 other), sub-site per case or None)``: the
    labels ``y`` (of ``n`` cases, when given) read as ``SiteModel.fit`` and the site-level
    :class:`SiteClassifier` read them.

    ``y`` holds site names (ileal, pancreatic, other) or sub-site names (``primary_site_detail``
    values: ileum, lung, ...), or a mix; each sub-site counts as its site. When every label is a
    sub-site name, ``other`` is the unnamed other sub-site. With ``integers``, whole numbers are
    the index of a site in ``classes`` (what scikit-learn's ``LabelEncoder`` gives for site names,
    and ``cross_val_predict`` passes to ``fit``); every site must then be present (with fewer, the
    numbers could stand for anything). ``detail``: the cases' own ``primary_site_detail`` (None
    where missing); a label that contradicts it is refused, a sub-site it lacks is taken from ``y``.
    Errors name ``field``.

    >>> read_labels(["ileum", "other", "pancreas"], 3)
    (array([0, 2, 1]), array(['ileum', 'other', 'pancreas'], dtype=object))
    >>> read_labels(["ileal", "lung"], 2)[1]
    array([None, 'lung'], dtype=object)
    """
    import pandas as pd

    values = np.asarray(y.astype(object) if hasattr(y, "cat") else y, dtype=object).ravel()
    if n is not None and len(values) != n:
        raise InputError(f"{field}: {len(values)} label(s) for {n} case(s); give one label per case")
    missing = np.flatnonzero(pd.isna(values))
    if len(missing):
        rows = ", ".join(str(i + 1) for i in missing[:5])
        raise InputError(f"{field}: {len(missing)} case(s) have no label (row {rows}); every case needs its site")
    if len(values) and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values):
        return _read_codes(values, classes, integers, field), None
    uniq = pd.unique(values)
    bad = sorted(repr(v) if isinstance(v, str) else f"{v!r} ({type(v).__name__})" for v in uniq if v not in LABEL_SITE)
    if bad:
        raise InputError(
            f"{field}: {', '.join(bad[:5])} is not a site ({', '.join(CLASSES)}) "
            f"or a sub-site ({', '.join(SITE_DETAILS)})"
        )
    labels = pd.Series(values, dtype=object)
    sites = labels.map(LABEL_SITE).to_numpy(dtype=int)
    named = ~labels.isin(SITES).to_numpy()  # a sub-site name, never a site's
    every = named.any() and all(v in SITE_DETAILS for v in uniq)  # "other" is then the unnamed sub-site
    given = np.where(named | (every & (values == "other")), values, None)
    return sites, _with_detail(values, sites, given, named, detail, field)


def _read_codes(values, classes, integers: bool, field: str) -> np.ndarray:
    codes = values.astype(int)
    if not integers:
        raise InputError(
            f"{field}: integer labels ({', '.join(map(str, sorted(set(codes))[:5]))}) are ambiguous here; "
            f"give site names ({', '.join(SITES)}) or sub-site names"
        )
    if not set(codes) <= set(range(len(classes))) or len(set(codes)) < len(classes):
        raise InputError(
            f"{field}: integer labels are read as the index of a site in classes_ "
            f"({', '.join(f'{k} {c}' for k, c in enumerate(classes))}: what LabelEncoder gives site names) "
            f"and need every site; got {', '.join(map(str, sorted(set(codes))[:5]))}. Give site names"
        )
    return np.array([SITES.index(classes[k]) for k in codes], dtype=int)


def _with_detail(values, sites, given, named, detail, field):
    """The sub-site of each case: the cases' own where they have one (refusing a label that
    contradicts it), else the one ``y`` names; None when no case has one."""
    import pandas as pd

    if detail is None:
        return given if named.any() else None
    own = np.asarray(detail, dtype=object)
    has = pd.notna(own)
    own = np.where(has, own, None)
    own_site = pd.Series(own, dtype=object).map(LABEL_SITE).fillna(-1).to_numpy(dtype=int)
    clash = has & ((named & (own != given)) | (own_site != sites))
    if clash.any():
        i = int(np.flatnonzero(clash)[0])
        raise InputError(
            f"{field}: {values[i]!r} (row {i + 1}) contradicts primary_site_detail {own[i]!r} of the same case "
            f"(which means {DETAIL_TO_SITE[own[i]]!r}); {int(clash.sum())} case(s) disagree. Give labels that "
            "agree with X's primary_site_detail, or drop that column from X to train on y alone"
        )
    out = np.where(has, own, given)
    return out if pd.notna(out).any() else None


def detail_column(table):
    """A table's ``primary_site_detail`` as objects (None where missing), or None without one."""
    if "primary_site_detail" not in table.columns:
        return None
    import pandas as pd

    values = np.asarray(pd.Series(table["primary_site_detail"]).astype(object), dtype=object)
    return np.where(pd.notna(values), values, None)


def with_detail_column(table, detail):
    """``table`` with ``primary_site_detail`` set to ``detail`` (canonical categories)."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        table = table.to_frame()
    dtype = pd.CategoricalDtype(list(FIELDS["primary_site_detail"].values))
    return table.assign(primary_site_detail=pd.Series(list(detail), index=table.index, dtype=dtype))
