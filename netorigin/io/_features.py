"""Feature builders: a validated cohort table -> a float matrix, one column per named feature.

"Not done" is never "negative". With ``missing="nan"`` (tree models: xgboost and
HistGradientBoosting route NaN natively) a test not done is NaN in every column built from it.
With ``missing="indicator"`` (linear models) each field gets an explicit ``<field>=missing``
column, values are filled with the training median (numbers) or 0 (category indicators) and,
with ``scale=True``, standardised.

Feature names are written in terms of contract fields: ``ihc_cdx2=positive``, ``grade``,
``carcinoid_syndrome=yes``, ``expr_cd302``. :attr:`CaseFeatures.feature_fields_` maps each
feature back to its field, so that explanations can group one field's pieces into one reason.

Examples
--------
>>> import pandas as pd
>>> from netorigin.io import CaseFeatures
>>> X = pd.DataFrame({"case_id": ["a", "b"], "ihc_cdx2": ["positive", None], "grade": ["G2", "G1"]})
>>> ft = CaseFeatures().fit(X)
>>> m = ft.transform(X)
>>> [(n, float(v)) for n, v in zip(ft.get_feature_names_out(), m[1]) if n.startswith("ihc_cdx2")]
[('ihc_cdx2=positive', nan), ('ihc_cdx2=negative', nan), ('ihc_cdx2=equivocal', nan)]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._runtime import BaseEstimator, TransformerMixin, check_is_fitted
from ..contract import (
    DEFAULT_EXPRESSION_GENES,
    FIELDS,
    LABEL_FIELDS,
    MITOSES_BANDS,
    Field,
    as_canonical,
    column_codes,
    column_numbers,
    field_for,
    mitoses_band_index,
    positive_value,
)
from ..exceptions import InputError, check_stored

if TYPE_CHECKING:
    import pandas as pd

# For two-valued fields: the value that the single indicator column stands for.
_INDICATOR_VALUE = {
    "sex": "female",
    "serum_cga": "elevated",
    "urine_5hiaa": "elevated",
    "differentiation": "poor",
    "ihc_daxx_atrx": positive_value("ihc_daxx_atrx"),
}
_ORDINAL = {"grade": ("G1", "G2", "G3"), "liver_lesions": ("solitary", "oligo", "multiple")}
_SKIP = {"case_id", *LABEL_FIELDS}


def feature_spec(expression_genes: tuple[str, ...] = (), fields=None) -> list[tuple[str, str, str, object]]:
    """The fixed encoding: a list of ``(feature, field, how, arg)`` in output order.

    ``how`` is ``number``, ``ordinal`` (arg: the ordered values), ``mitoses``, or ``is``
    (arg: the value the 0/1 column stands for). ``fields``: only these contract fields (a model
    saved by an earlier netorigin knows the fields of its day; default: every one).
    """
    spec: list[tuple[str, str, str, object]] = []
    fields = [
        f
        for f in FIELDS.values()
        if f.name not in _SKIP and not f.name.startswith("expr_") and (fields is None or f.name in fields)
    ]
    for f in fields:
        spec += _encode(f)
    for col in expression_genes:
        spec.append((col, col, "number", None))
    return spec


def _encode(f: Field) -> list[tuple[str, str, str, object]]:
    if f.kind == "number":
        return [(f.name, f.name, "number", None)]
    if f.kind == "mitoses":
        return [(f.name, f.name, "mitoses", None)]
    if f.name in _ORDINAL:
        return [(f.name, f.name, "ordinal", _ORDINAL[f.name])]
    if len(f.values) == 2:
        v = _INDICATOR_VALUE.get(f.name, f.values[0])
        return [(f"{f.name}={v}", f.name, "is", v)]
    return [(f"{f.name}={v}", f.name, "is", v) for v in f.values]


def _column(table, feature: str, field: str, how: str, arg) -> np.ndarray:
    n = len(table)
    if field not in table.columns:
        return np.full(n, np.nan)
    if how == "number":
        return column_numbers(table, field)
    if how == "mitoses":
        return mitoses_band_index(table[field])
    codes = column_codes(table, field)
    cats = FIELDS[field].values
    if how == "ordinal":
        rank = np.array([arg.index(c) + 1.0 for c in cats] + [np.nan])
        return rank[codes]
    # how == "is": 1 where the value is arg, 0 where another value, NaN where missing
    hit = np.array([1.0 if c == arg else 0.0 for c in cats] + [np.nan])
    return hit[codes]


def _rows_of(table, field: str, rows: np.ndarray):
    """The column ``field`` of ``table`` at ``rows``, as a table of its own (NumPy columns)."""
    from ..contract import CaseColumns

    if field not in table.columns:
        return CaseColumns({}, len(rows))
    col = table[field]
    col = col[rows] if isinstance(col, np.ndarray) else col.iloc[rows]
    return CaseColumns({field: col}, len(rows))


class CaseFeatures(TransformerMixin, BaseEstimator):
    """Turn a validated cohort table into a float matrix with named features.

    Parameters
    ----------
    missing : {"nan", "indicator"}
        ``"nan"`` keeps tests not done as NaN (for tree models). ``"indicator"`` adds a
        ``<field>=missing`` column per field and fills the value columns (for linear models).
    scale : bool
        Standardise every output column with the training mean and standard deviation
        (only with ``missing="indicator"``; NaN cannot be scaled meaningfully for trees).
    expression_genes : "auto" or list of str
        ``expr_<GENE>`` columns to use; ``"auto"`` takes every one present at fit (plus
        ``expr_cd302`` and ``expr_ppwd1``, which are always features).
    dtype : "float64" or "float32"
        Of the output matrix. xgboost computes in float32 anyway, so its pipeline builds float32
        (half the memory, same predictions).
    procedures : bool
        Build columns from the procedures that looked for the primary. The classifier kinds leave
        them out: the model reads them as evidence from its cells
        (``SiteModel.cells_.procedure_evidence``).

    Attributes
    ----------
    feature_names_out_ : ndarray of str
    feature_fields_ : ndarray of str
        The contract field each feature comes from.
    expression_genes_ : tuple of str
    fill_values_, mean_, scale_ : ndarray (indicator mode only)
    """

    def __init__(self, *, missing="nan", scale=False, expression_genes="auto", dtype="float64", procedures=True):
        self.missing = missing
        self.scale = scale
        self.expression_genes = expression_genes
        self.dtype = dtype
        self.procedures = procedures

    def fit(self, X, y=None):
        if self.dtype not in ("float64", "float32"):
            raise ValueError(f"dtype: {self.dtype!r} is not one of 'float64', 'float32'")
        if self.missing not in ("nan", "indicator"):
            raise ValueError(f"missing: {self.missing!r} is not one of 'nan', 'indicator'")
        if self.scale and self.missing != "indicator":
            raise ValueError("scale=True needs missing='indicator' (NaN cannot be standardised)")
        table = as_canonical(X)
        always = DEFAULT_EXPRESSION_GENES
        if self.expression_genes == "auto":
            extra = sorted(c for c in table.columns if isinstance(c, str) and c.startswith("expr_") and c not in always)
        else:
            extra = [g if g.startswith("expr_") else f"expr_{g.lower()}" for g in self.expression_genes]
            extra = [g for g in extra if g not in always]
        self.expression_genes_ = tuple(always) + tuple(extra)
        read = None if self.procedures else [f for f, fld in FIELDS.items() if not fld.procedure]
        self._spec = feature_spec(self.expression_genes_, read)
        names = [s[0] for s in self._spec]
        fields = [s[1] for s in self._spec]
        if self.missing == "indicator":  # only this variant learns from the values
            raw = self._raw(table)
            self.fill_values_ = np.array(
                [
                    (np.nanmedian(raw[:, j]) if not np.all(np.isnan(raw[:, j])) else 0.0)
                    if how in ("number", "ordinal", "mitoses")
                    else 0.0
                    for j, (_, _, how, _) in enumerate(self._spec)
                ]
            )
            self._missing_fields = list(dict.fromkeys(fields))
            names += [f"{f}=missing" for f in self._missing_fields]
            fields += self._missing_fields
            full = self._indicator(raw)
            if self.scale:
                self.mean_ = full.mean(axis=0)
                sd = full.std(axis=0)
                self.scale_ = np.where(sd > 0, sd, 1.0)
        self.feature_names_out_ = np.array(names, dtype=object)
        self.feature_fields_ = np.array(fields, dtype=object)
        self.n_features_out_ = len(names)
        return self

    def _raw(self, table: pd.DataFrame, dtype="float64") -> np.ndarray:
        out = np.empty((len(table), len(self._spec)), dtype=dtype)
        for j, s in enumerate(self._spec):
            out[:, j] = _column(table, *s)
        return out

    def _indicator(self, raw: np.ndarray) -> np.ndarray:
        nan = np.isnan(raw)
        filled = np.where(nan, self.fill_values_, raw)
        fields = [s[1] for s in self._spec]
        miss = np.column_stack(
            [np.all(nan[:, [j for j, f in enumerate(fields) if f == fld]], axis=1) for fld in self._missing_fields]
        ).astype(float)
        return np.hstack([filled, miss])

    def transform(self, X):
        check_is_fitted(self, "feature_names_out_")
        table = as_canonical(X)
        if self.missing == "nan":
            return self._raw(table, self.dtype)
        raw = self._raw(table)
        full = self._indicator(raw)
        if self.scale:
            full = (full - self.mean_) / self.scale_
        return full.astype(self.dtype, copy=False)

    def transform_edited(self, X, X_base, changed: dict):
        """:meth:`transform` of cases that are other cases with a few values changed.

        The columns of the changed fields are built again at the rows where they changed, every
        other value is taken from ``X_base`` (the same values: each feature is built value by
        value). With ``missing="indicator"`` (columns that mix fields, scaled) every column is built.

        Parameters
        ----------
        X : DataFrame or CaseColumns
            The edited cases, in the contract.
        X_base : ndarray
            :meth:`transform` of the cases they are edits of, row for row.
        changed : dict
            Field -> the rows of ``X`` where its value may differ from the case it is an edit of.

        Returns
        -------
        ndarray
            Equal to ``transform(X)``.
        """
        check_is_fitted(self, "feature_names_out_")
        table = as_canonical(X)
        if self.missing != "nan":
            return self.transform(table)
        out = np.array(X_base, dtype=self.dtype, copy=True)
        if out.shape != (len(table), len(self._spec)):
            raise ValueError(f"X_base: shape {out.shape}; expected {(len(table), len(self._spec))}")
        for j, s in enumerate(self._spec):
            rows = changed.get(s[1])
            if rows is not None and len(rows):
                out[rows, j] = _column(_rows_of(table, s[1], rows), *s)
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()


class CheckCases(TransformerMixin, BaseEstimator):
    """Pipeline step: validate cases against the contract and return the canonical table.

    Stateless: contract fields absent at transform are simply "not done" downstream, and bad
    input raises :class:`~netorigin.exceptions.ValidationError` naming every problem.
    """

    def fit(self, X, y=None):
        as_canonical(X)
        return self

    def transform(self, X):
        return as_canonical(X)

    def __sklearn_is_fitted__(self):
        return True


def _saved_fields(names) -> set[str]:
    """The contract fields a saved feature list was built from (a field it lacks, a procedure for a
    model saved before procedures existed, is one the model does not read)."""
    out = set()
    for name in names:
        field = str(name).split("=", 1)[0]
        if field in FIELDS:
            out.add(field)
    return out


def features_state(ft: CaseFeatures) -> dict:
    """The fitted state of a :class:`CaseFeatures` as plain JSON-able values."""
    check_is_fitted(ft, "feature_names_out_")
    state = {
        "missing": ft.missing,
        "scale": bool(ft.scale),
        "dtype": ft.dtype,
        "expression_genes": list(ft.expression_genes_),
        "feature_names": [str(x) for x in ft.feature_names_out_],
    }
    if ft.missing == "indicator":
        state["fill_values"] = [float(x) for x in ft.fill_values_]
        if ft.scale:
            state["mean"] = [float(x) for x in ft.mean_]
            state["scale_values"] = [float(x) for x in ft.scale_]
    return state


UNBOUNDED = 1e6  # the largest value taken for a number the contract gives no maximum (a fold of ULN)


def feature_ranges(spec, missing_fields) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of every feature column in :func:`feature_spec` order, then one ``<field>=missing``
    column per field of ``missing_fields``: what a fitted fill value or mean can be."""
    lo, hi = [], []
    for _, fld, how, arg in spec:
        if how == "number":  # (a field never recorded in training is filled with 0)
            f = field_for(fld)
            lo.append(min(f.minimum, 0.0) if f is not None and f.minimum is not None else -UNBOUNDED)
            hi.append(f.maximum if f is not None and f.maximum is not None else UNBOUNDED)
        elif how == "ordinal":  # ranks 1.. (0: the field was never recorded in training, its fill value)
            lo.append(0.0), hi.append(float(len(arg)))
        elif how == "mitoses":
            lo.append(0.0), hi.append(float(len(MITOSES_BANDS) - 1))
        else:
            lo.append(0.0), hi.append(1.0)
    lo += [0.0] * len(missing_fields)
    hi += [1.0] * len(missing_fields)
    return np.array(lo, dtype=float), np.array(hi, dtype=float)


def features_from_state(state: dict) -> CaseFeatures:
    """Rebuild a fitted :class:`CaseFeatures` from :func:`features_state` (no pickle); every
    stored value checked: fill values and means within the range their feature can take,
    standard deviations above 0 and no wider than that range."""
    if not isinstance(state, dict) or state.get("missing") not in ("nan", "indicator"):
        raise InputError(f"missing: {str((state or {}).get('missing'))[:40]!r} is not one of 'nan', 'indicator'")
    if not isinstance(state.get("scale"), bool) or (state["scale"] and state["missing"] != "indicator"):
        raise InputError(f"scale: {state.get('scale')!r} is not true (with missing indicators) or false")
    genes = state.get("expression_genes")
    if not isinstance(genes, list) or not all(
        isinstance(g, str) and g.startswith("expr_") and field_for(g) is not None for g in genes
    ):
        raise InputError(f"expression_genes: {str(genes)[:60]!r} is not a list of expr_<GENE> columns")
    if state.get("dtype", "float64") not in ("float64", "float32"):
        raise InputError(f"dtype: {state.get('dtype')!r} is not one of 'float64', 'float32'")
    ft = CaseFeatures(
        missing=state["missing"], scale=state["scale"], expression_genes=genes, dtype=state.get("dtype", "float64")
    )
    ft.expression_genes_ = tuple(genes)
    names = state.get("feature_names")
    ft._spec = feature_spec(ft.expression_genes_, _saved_fields(names) if isinstance(names, list) else None)
    ft.procedures = any(FIELDS[s[1]].procedure for s in ft._spec if s[1] in FIELDS)
    names = [s[0] for s in ft._spec]
    fields = [s[1] for s in ft._spec]
    if ft.missing == "indicator":
        ft._missing_fields = list(dict.fromkeys(fields))
        low, high = feature_ranges(ft._spec, ft._missing_fields)
        k = len(ft._spec)
        ft.fill_values_ = check_stored(state.get("fill_values"), "fill_values", shape=(k,), low=low[:k], high=high[:k])
        names += [f"{f}=missing" for f in ft._missing_fields]
        fields += ft._missing_fields
        if ft.scale:
            ft.mean_ = check_stored(state.get("mean"), "mean", shape=(len(names),), low=low, high=high)
            ft.scale_ = check_stored(
                state.get("scale_values"),
                "scale_values",
                shape=(len(names),),
                low=0,
                high=np.maximum(high - low, 1.0),
                above=True,
            )
    if not isinstance(state.get("feature_names"), list) or names != state["feature_names"]:
        saved = state.get("feature_names") or []
        at = next((i for i, (a, b) in enumerate(zip(names, saved)) if a != b), "length")
        raise InputError(
            f"feature_names: the saved feature names do not match the case contract of this netorigin version "
            f"(first difference at {at})"
        )
    ft.feature_names_out_ = np.array(names, dtype=object)
    ft.feature_fields_ = np.array(fields, dtype=object)
    ft.n_features_out_ = len(names)
    return ft
