"""Parse, coerce and validate cases against the case contract.

The contract itself (fields, values, synonyms) lives in :mod:`netorigin._fields`; this module
turns raw tables and mappings into the canonical table, or raises a
:class:`~netorigin.exceptions.ValidationError` listing every problem at once.

Examples
--------
>>> import pandas as pd
>>> from netorigin.contract import validate_cohort
>>> raw = pd.DataFrame({"case_id": ["a", "b"], "ihc_cdx2": ["+", "ND"], "grade": ["2", "G1"]})
>>> v = validate_cohort(raw)
>>> v.table["ihc_cdx2"].tolist()
['positive', nan]
>>> v.table["grade"].tolist()
['G2', 'G1']"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import Problem, ValidationError
from ._checks import _case_id_labels, _check_case_ids, _check_labels, _extra_notices, _read_as, _with_rows
from ._columns import CaseColumns, to_array, to_series
from ._consistency import _consistency_notices
from ._field_words import field_label
from ._fields import FIELDS, field_for
from ._names import same_field_under_another_name
from ._notice import Notice
from ._values import _parse_column, _short

if TYPE_CHECKING:
    import pandas as pd


_NEAR_MISS_CUTOFF = 0.8


class ValidatedCohort:
    """A validated cohort: the canonical table plus what the user should be told.

    ``table`` holds contract fields with canonical values (categoricals with fixed
    categories, floats, NaN for not done), then the extra columns untouched. ``cases`` is what
    scoring reads: the table, or for a case validated on its own (:func:`validate_case`) the same
    canonical values as NumPy arrays (:class:`CaseColumns`), the table being built only if asked.

    Parameters
    ----------
    table : DataFrame, optional
        The canonical table (contract fields, then the extra columns).
    notices : list of Notice, optional
        What the user should be told.
    extra_columns : list of str, optional
        The columns carried through untouched.
    set_aside : DataFrame, optional
        Rows set aside with ``skip_invalid``: the rows as read, their row number, the reason.
    cases : CaseColumns, optional
        The canonical values of a case validated on its own, as arrays.
    """

    def __init__(
        self,
        table: pd.DataFrame | None = None,
        notices: list | None = None,
        extra_columns: list | None = None,
        set_aside: pd.DataFrame | None = None,
        *,
        cases: CaseColumns | None = None,
    ):
        if table is None and cases is None:
            raise TypeError("ValidatedCohort needs a table or cases")
        self._table = table
        self._cases = cases
        self.notices: list[Notice] = list(notices or [])
        self.extra_columns: list[str] = list(extra_columns or [])
        self.set_aside = set_aside  # rows set aside as invalid (skip_invalid), with the reason
        self.is_case = cases is not None  # read as one case (a case file), not as a cohort

    @property
    def table(self) -> pd.DataFrame:
        if self._table is None:
            self._table = self._cases.to_frame()
        return self._table

    @property
    def cases(self):
        """The canonical columns scoring reads (a table, or :class:`CaseColumns` for one case)."""
        return self._cases if self._cases is not None else self._table

    def __repr__(self) -> str:
        return f"ValidatedCohort({self.n_cases} case(s), {len(self.notices)} notice(s))"

    @property
    def n_cases(self) -> int:
        return len(self.cases)

    @property
    def n_read(self) -> int:
        """Rows read: the cases used plus those set aside."""
        return self.n_cases + (0 if self.set_aside is None else len(self.set_aside))

    def accounting(self) -> str:
        """What was read, used and set aside, in one line; the numbers always add up.

        Returns
        -------
        str
            "N case(s) read: U used, S set aside as invalid" (and "each with its reason" when any was).
        """
        n_aside = 0 if self.set_aside is None else len(self.set_aside)
        return f"{self.n_read:,} case(s) read: {self.n_cases:,} used, {n_aside:,} set aside as invalid" + (
            " (each with its reason)" if n_aside else ""
        )

    @property
    def contract_columns(self) -> list[str]:
        return [c for c in self.table.columns if c not in self.extra_columns]


# --------------------------------------------------------------------------- columns
def _canonical_name(col: Any) -> str:
    return " ".join(str(col).split()).lower()


def _near_miss(name: str) -> str | None:
    candidates = list(FIELDS)
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=_NEAR_MISS_CUTOFF)
    if match:
        return match[0]
    # A marker written without its prefix ("cdx2", "ki67") or with spaces for underscores.
    squashed = re.sub(r"[\s\-./()%]+", "_", name).strip("_")
    for cand in (squashed, "ihc_" + squashed):
        if cand in FIELDS and cand != name:
            return cand
    # A field written without its unit ("age" for age_years, "ki67" for ki67_percent).
    prefixed = [f for f in FIELDS if len(squashed) >= 3 and f.startswith(squashed + "_")]
    return prefixed[0] if len(prefixed) == 1 else None


def validate_cohort(
    raw: pd.DataFrame,
    *,
    require_case_id: bool = True,
    source: str | None = None,
    unknown: str = "carry",
) -> ValidatedCohort:
    """Validate a raw cohort table and return its canonical form.

    Parameters
    ----------
    raw : DataFrame
        Any table: column names are matched to contract fields case-insensitively; values
        may use the documented synonyms. Columns that are not in the contract (and are not
        near misses of a field) are carried through untouched.
    require_case_id : bool
        Cohorts need a unique ``case_id``; a single case does not.
    source : str, optional
        A name (usually the file) used in error messages.
    unknown : {"carry", "refuse"}
        Columns that are not contract fields: carried through untouched (a cohort's outcomes,
        say), except one that is plainly a field under another name, which is refused; or all
        refused (a table that holds one case).

    Returns
    -------
    ValidatedCohort
        The canonical table and what the user should be told.

    Raises
    ------
    ValidationError
        With every problem found: unknown values, out-of-range numbers, near-miss column
        names, missing or duplicated case_ids, inconsistent labels.
    """
    import pandas as pd

    if not isinstance(raw, pd.DataFrame):
        raise ValidationError([Problem("table", type(raw).__name__, "a table (DataFrame)")], source)
    columns = [(raw.columns[i], raw.iloc[:, i].reset_index(drop=True)) for i in range(raw.shape[1])]
    out, extras, notices = _validate_columns(
        columns, len(raw), require_case_id=require_case_id, source=source, unknown=unknown
    )
    return ValidatedCohort(table=_frame(out, extras, len(raw)), notices=notices, extra_columns=list(extras))


def _frame(out: dict, extras: dict, n: int) -> pd.DataFrame:
    """The canonical table: contract fields (canonical dtypes), then the extra columns untouched."""
    import pandas as pd

    index = pd.RangeIndex(n)
    cols = {nm: to_series(nm, v, index) for nm, v in out.items()}
    cols.update(extras)  # the raw columns (index already reset)
    return pd.DataFrame(cols, index=index)


def _validate_columns(
    columns, n: int, *, require_case_id: bool, source, unknown: str = "carry"
) -> tuple[dict, dict, list]:
    """The one validation of every input: ``columns`` is a list of (raw name, raw values).

    ``unknown``: what becomes of a column that is not a contract field: ``carry`` (a cohort's
    other columns, such as outcomes, are carried through untouched, except one that is plainly a
    field under another name, which is refused) or ``refuse`` (a single case: every key is a
    field, or it is refused by name).

    Returns (contract fields in canonical array form, in contract order; extra columns
    untouched; notices), or raises a ValidationError naming every problem."""
    problems: list[Problem] = []
    notices: list[Notice] = []
    names = [_canonical_name(c) for c, _ in columns]
    first = _repeated_columns(columns, names, problems)
    case_ids = _case_id_labels(columns, names)
    out: dict[str, np.ndarray] = {}
    extras: dict[str, Any] = {}
    where = "header" if require_case_id else None
    for i, nm in enumerate(names):
        if first.get(nm) != i:
            continue
        rawname, col = columns[i]
        f = field_for(nm)
        if f is None:
            refused = _unknown_column(nm, rawname, set(names), unknown, where)
            if refused is None:
                extras[str(rawname)] = col
            else:
                problems.append(refused)
            continue
        parsed, bad, readings = _parse_column(f, col)
        problems += [_with_rows(prob, rows, case_ids, require_case_id or n > 1) for _raw, prob, rows in bad]
        notices += [_read_as(f, raw, value, rule, rows, case_ids, n) for raw, value, rule, rows in readings]
        out[f.name] = to_array(f.name, parsed)
    _check_case_ids(out, problems, require_case_id, n)
    _check_labels(out, problems, notices, case_ids)
    if problems:
        raise ValidationError(problems, source)
    notices += _consistency_notices(out, case_ids, n)
    notices = _extra_notices(extras, out) + notices
    order = [nm for nm in FIELDS if nm in out] + sorted(nm for nm in out if nm.startswith("expr_") and nm not in FIELDS)
    return {nm: out[nm] for nm in order}, extras, notices


def _repeated_columns(columns, names: list[str], problems: list) -> dict[str, int]:
    """name -> the place of its first column; a name given twice is a problem of the header."""
    first: dict[str, int] = {}
    for i, nm in enumerate(names):
        if nm in first:
            problems.append(
                Problem(
                    nm,
                    columns[i][0],
                    "",
                    location="header",
                    detail=f"column {nm!r} appears more than once (columns {first[nm] + 1} and {i + 1})",
                )
            )
        else:
            first[nm] = i
    return first


def _unknown_column(nm: str, rawname, names: set, unknown: str, where) -> Problem | None:
    """The problem with a column that is not a contract field (a near miss, a field under another
    name, or any unknown key of a case), or None when it is carried through."""
    miss = _near_miss(nm)
    if miss is not None:
        return Problem(
            nm,
            str(rawname),
            "",
            suggestion=miss,
            location=where,
            detail=f"{str(rawname)!r} is not a field of the case contract",
        )
    alias = same_field_under_another_name(nm, taken=names)
    if unknown != "refuse" and alias is None:
        return None
    hint = (
        (
            f"it is the field {alias.field} ({field_label(alias.field)}) under another name: rename it, or map it "
            "(netorigin map suggest FILE)"
        )
        if alias is not None
        else "every key of a case is a contract field (netorigin template lists them)"
    )
    return Problem(
        nm, str(rawname), "", location=where, detail=f"{str(rawname)!r} is not a field of the case contract; {hint}"
    )


def validate_case(case: Mapping[str, Any], *, source: str | None = None) -> ValidatedCohort:
    """Validate one case given as a mapping of field -> value (from JSON, YAML or a form).

    ``case_id`` is optional. Returns a one-row :class:`ValidatedCohort`.

    Parameters
    ----------
    case : mapping
        Field -> value.
    source : str, optional
        A name used in error messages.

    Returns
    -------
    ValidatedCohort

    Raises
    ------
    ValidationError
        Every problem found, each naming the field, the value and what was expected.

    >>> v = validate_case({"CDX2": "pos"})
    Traceback (most recent call last):
    ...
    netorigin.exceptions.ValidationError: case: cdx2: 'CDX2' is not a field of the case contract; ...
    >>> validate_case({"ihc_cdx2": "pos", "sex": "F"}).table.loc[0, "sex"]
    'female'
    """
    if not isinstance(case, Mapping):
        raise ValidationError(
            [
                Problem(
                    "case",
                    _short(case),
                    "",
                    detail=f"a case must be a mapping of field: value, not {type(case).__name__}",
                )
            ],
            source,
        )
    problems = []
    row: dict[str, list[Any]] = {}
    for k, v in case.items():
        if not isinstance(k, (str, int, float)) or isinstance(k, bool) or not str(k).strip():
            problems.append(Problem("case", _short(k), "", detail=f"key {_short(k)} is not a field name"))
            continue
        if isinstance(v, (list, tuple, dict, set)):
            problems.append(Problem(_canonical_name(k), _short(v), "", detail=f"{_short(v)} is not a single value"))
            continue
        row[str(k)] = [v]
    columns = [(k, np.array(v, dtype=object)) for k, v in row.items()]
    try:  # the same validation as a cohort's, on one-value columns: no pandas table is built
        out, extras, notices = _validate_columns(columns, 1, require_case_id=False, source=source, unknown="refuse")
    except ValidationError as e:  # report the container problems and the value problems together
        raise ValidationError(problems + e.problems, source) from None
    if problems:
        raise ValidationError(problems, source)
    return ValidatedCohort(notices=notices, extra_columns=list(extras), cases=CaseColumns({**out, **extras}, 1))


def check_cohort(raw: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """Validate a cohort and return only its canonical table (notices are dropped).

    Parameters
    ----------
    raw : DataFrame
        The cohort as read.
    **kwargs
        Options of :func:`validate_cohort`.

    Returns
    -------
    DataFrame
        The canonical table.
    """
    return validate_cohort(raw, **kwargs).table


def check_case(case: Mapping[str, Any]) -> pd.DataFrame:
    """Validate one case and return its one-row canonical table.

    Parameters
    ----------
    case : mapping
        Field -> value.

    Returns
    -------
    DataFrame
        One row, canonical values.
    """
    return validate_case(case).table
