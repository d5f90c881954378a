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
['G2', 'G1']
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ._columns import CaseColumns, to_array, to_series
from ._fields import (
    DETAIL_TO_SITE,
    FIELDS,
    MISSING_TOKENS,
    MITOSES_BANDS,
    Field,
    field_for,
    field_label,
)
from ..exceptions import Problem, ValidationError
from ._names import guess_field, same_field_under_another_name

_MISSING = object()  # sentinel for "not done / not known"
_NUMBER = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)\s*(.*)$", re.IGNORECASE)
_BAND = {"<2": "<2", "2-20": "2-20", ">20": ">20"}
_NEAR_MISS_CUTOFF = 0.8
_GRADE_NUMBER = {"G1": 1.0, "G2": 2.0, "G3": 3.0}


@dataclass(frozen=True)
class Notice:
    """Something the user should know that does not stop the work (a warning or a note).

    ``kind`` is one of ``extra_columns``, ``unmapped_field`` (an extra column that looks like a
    field), ``inconsistent``, ``intended_use`` (at its edge),
    ``out_of_scope`` (outside it: not scored unless asked), ``derived``.
    """

    kind: str
    message: str
    fields: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()
    case_text: str | None = None  # the message for one case of ``rows`` (no row list)


class ValidatedCohort:
    """A validated cohort: the canonical table plus what the user should be told.

    ``table`` holds contract fields with canonical values (categoricals with fixed
    categories, floats, NaN for not done), then the extra columns untouched. ``cases`` is what
    scoring reads: the table, or for a case validated on its own (:func:`validate_case`) the same
    canonical values as NumPy arrays (:class:`CaseColumns`), the table being built only if asked.
    """

    def __init__(self, table: pd.DataFrame | None = None, notices: list | None = None,
                 extra_columns: list | None = None, set_aside: pd.DataFrame | None = None, *,
                 cases: CaseColumns | None = None):
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
        """"read N: U used, S set aside (reasons ...)" - the numbers always add up."""
        n_aside = 0 if self.set_aside is None else len(self.set_aside)
        return (f"{self.n_read:,} case(s) read: {self.n_cases:,} used, {n_aside:,} set aside as invalid"
                + (" (each with its reason)" if n_aside else ""))

    @property
    def contract_columns(self) -> list[str]:
        return [c for c in self.table.columns if c not in self.extra_columns]


# --------------------------------------------------------------------------- values
def _fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _as_text(v: Any) -> str | None:
    """A cell as text, or None when it cannot be one (lists, mappings...)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return _fmt_number(float(v)) if math.isfinite(v) else str(v)
    if isinstance(v, str):
        return " ".join(v.split())
    if isinstance(v, bytes):
        try:
            return " ".join(v.decode("utf-8").split())
        except UnicodeDecodeError:
            return None
    return None


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)) and math.isnan(v):
        return True
    if isinstance(v, str) and " ".join(v.split()).lower() in MISSING_TOKENS:
        return True
    return False


_SUGGEST_CUTOFF = 0.8  # a typing mistake ("postive"), not another word ("focal" is not "false")


def _suggest(token: str, f: Field) -> str | None:
    """The value a mistyped ``token`` most likely meant, only when it is a typing mistake of one of
    the value's own spellings (at least four letters, so that short synonyms such as "f" or "no"
    are never offered for a different word): a suggestion never changes what was meant."""
    token = token.lower()
    words = {f.synonyms.get(w) for w in re.split(r"[\s/,;]+", token) if w}
    if len(words) == 1 and None not in words and len(token.split()) > 1:  # "WD NET": every word says "well"
        return words.pop()
    choices = [c for c in list(f.synonyms) + list(f.readings) if len(c) >= 4]
    match = difflib.get_close_matches(token, choices, n=1, cutoff=_SUGGEST_CUTOFF)
    if not match:
        return None
    return f.synonyms[match[0]] if match[0] in f.synonyms else f.readings[match[0]][0]


def _parse_number(f: Field, v: Any) -> float | Problem:
    if isinstance(v, (bool, np.bool_)):
        return Problem(f.name, v, f.expected())
    if isinstance(v, (int, float, np.integer, np.floating)):
        x = float(v)
    else:
        text = _as_text(v)
        if text is None:
            return Problem(f.name, _short(v), "a single value: " + f.expected())
        m = _NUMBER.match(text)
        if not m:
            return Problem(f.name, text, f.expected())
        x = float(m.group(1))
        unit = m.group(2).strip().lower()
        if unit:
            if unit not in f.unit_suffixes:
                units = ", ".join(sorted(f.unit_suffixes)) or "none"
                return Problem(f.name, text, f.expected(),
                               detail=f"{text!r} has unit {unit!r}; expected {f.expected()}"
                               f" (units accepted: {units})")
            x *= f.unit_suffixes[unit]
    if not math.isfinite(x):
        return Problem(f.name, v, "a finite number: " + f.expected())
    lo, hi = f.minimum, f.maximum
    if lo is not None and (x < lo or (f.exclusive_minimum and x <= lo)):
        return Problem(f.name, v, f.expected())
    if hi is not None and x > hi:
        return Problem(f.name, v, f.expected())
    return x


def _parse_mitoses(f: Field, v: Any) -> str | Problem:
    text = _as_text(v)
    if text is None:
        return Problem(f.name, _short(v), "a single value: " + f.expected())
    t = text.replace("\u2013", "-").replace("\u2014", "-").replace(" ", "").lower()
    t = t.replace("to", "-")
    if t in _BAND:
        return _BAND[t]
    x = _parse_number(f, v)
    if isinstance(x, Problem):
        return Problem(f.name, text, f.expected(),
                       suggestion="2-20" if t in (">2", ">=2", "2+") else None)
    return _fmt_number(x)


def _short(v: Any) -> str:
    """A short description of a raw value; never walks a large or nested container."""
    if isinstance(v, (list, tuple, set, dict)):
        kind = type(v).__name__
        return f"a {kind} of {len(v)} item{'s' if len(v) != 1 else ''}"
    text = repr(v) if not isinstance(v, (str, bytes)) or len(v) <= 200 else repr(v[:60])
    return text if len(text) <= 60 else text[:57] + "..."


def parse_value(f: Field, v: Any) -> Any:
    """Parse one raw value of field ``f``.

    Returns the canonical value, ``None`` for not done / not known, or a
    :class:`~netorigin.exceptions.Problem` describing why the value is not acceptable.

    >>> from netorigin.contract import FIELDS
    >>> parse_value(FIELDS["ihc_cdx2"], "Pos"), parse_value(FIELDS["ihc_cdx2"], "n/a")
    ('positive', None)
    >>> parse_value(FIELDS["ihc_cdx2"], "postive").suggestion
    'positive'
    >>> parse_value(FIELDS["largest_liver_lesion_cm"], "35 mm")
    3.5
    """
    if _is_missing(v):
        return None
    if f.kind == "number":
        return _parse_number(f, v)
    if f.kind == "mitoses":
        return _parse_mitoses(f, v)
    if f.kind == "text" and isinstance(v, str):
        # identifiers are kept exactly as given (joins must still match); a control character (a
        # line break, a tab, a terminal escape), an invisible formatting one (a right-to-left
        # override, which reverses what is shown; a zero-width space) or a lone surrogate is
        # refused, never silently changed
        bad = next((c for c in v if _unprintable(c)), None)
        if bad is not None:
            return Problem(f.name, _short(v), "", detail=f"{_short(v)} contains an invisible or control character "
                           f"(U+{ord(bad):04X}); identifiers must be one line of printable text")
        return v
    text = _as_text(v)
    if text is None:
        return Problem(f.name, _short(v), "a single value")
    if f.kind == "text":
        return text if text else None
    token = text.lower()
    if token in f.synonyms:
        return f.synonyms[token]
    if token in f.readings:  # a pathology wording, read by its documented rule (shown back: reading_of)
        return f.readings[token][0]
    if f.name == "liver_lesions":
        n = _parse_count(token)
        if n is not None:
            return "solitary" if n == 1 else ("oligo" if n <= 5 else "multiple")
    return Problem(f.name, text, f.expected(), suggestion=_suggest(token, f))


def _unprintable(c: str) -> bool:
    """Control, format (bidi overrides, zero-width), surrogate and line/paragraph separator characters."""
    import unicodedata

    return ord(c) < 32 or 127 <= ord(c) < 160 or unicodedata.category(c) in ("Cf", "Cs", "Co", "Zl", "Zp")


def _parse_count(token: str) -> int | None:
    try:
        x = float(token)
    except ValueError:
        return None
    return int(x) if x.is_integer() and x >= 1 else None


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


def reading_of(f: Field, raw: Any) -> tuple[str, str] | None:
    """(value, rule) when ``raw`` is a pathology wording of field ``f`` read by a documented rule
    ("focal" -> positive), else None.

    >>> from netorigin.contract import FIELDS
    >>> reading_of(FIELDS["ihc_cdx2"], "Focal")
    ('positive', 'focal, patchy, partial, diffuse, moderate, strong or 2+/3+ staining is positive')
    """
    if not f.readings or not isinstance(raw, str):
        return None
    token = " ".join(raw.split()).lower()
    return None if token in f.synonyms else f.readings.get(token)


def _parse_column(f: Field, values) -> tuple[np.ndarray, list, list]:
    """Parse a column through its unique values. Returns (parsed object array, problems as
    (raw, Problem, rows), readings as (raw, value, rule, rows))."""
    if len(values) == 1:  # one case: no factorising
        raw = values.iloc[0] if isinstance(values, pd.Series) else values[0]
        res = parse_value(f, raw)
        out = np.empty(1, dtype=object)
        if isinstance(res, Problem):
            return out, [(raw, res, np.array([0]))], []
        out[0] = res
        read = reading_of(f, raw)
        return out, [], ([(raw, *read, np.array([0]))] if read else [])
    values = pd.Series(values, dtype=object)
    bad: list = []
    readings: list = []
    nested = values.map(lambda v: isinstance(v, (list, tuple, dict, set, np.ndarray))).to_numpy(dtype=bool)
    if nested.any():  # not one value, and not hashable: refused row by row, never factorised
        for r in np.flatnonzero(nested):
            bad.append((values.iloc[r], Problem(f.name, _short(values.iloc[r]), "a single value: " + f.expected()),
                        np.array([r])))
        values = values.where(~nested, None)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = np.empty(len(uniques) + 1, dtype=object)
    parsed[-1] = None  # code -1 (NaN / None) -> missing
    for k, raw in enumerate(uniques):
        res = parse_value(f, raw)
        if isinstance(res, Problem):
            parsed[k] = None
            bad.append((raw, res, np.flatnonzero(codes == k)))
        else:
            parsed[k] = res
            read = reading_of(f, raw)
            if read:
                readings.append((raw, *read, np.flatnonzero(codes == k)))
    return parsed[codes], bad, readings


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

    Raises
    ------
    ValidationError
        With every problem found: unknown values, out-of-range numbers, near-miss column
        names, missing or duplicated case_ids, inconsistent labels.
    """
    if not isinstance(raw, pd.DataFrame):
        raise ValidationError([Problem("table", type(raw).__name__, "a table (DataFrame)")], source)
    columns = [(raw.columns[i], raw.iloc[:, i].reset_index(drop=True)) for i in range(raw.shape[1])]
    out, extras, notices = _validate_columns(columns, len(raw), require_case_id=require_case_id, source=source,
                                             unknown=unknown)
    return ValidatedCohort(table=_frame(out, extras, len(raw)), notices=notices, extra_columns=list(extras))


def _frame(out: dict, extras: dict, n: int) -> pd.DataFrame:
    """The canonical table: contract fields (canonical dtypes), then the extra columns untouched."""
    index = pd.RangeIndex(n)
    cols = {nm: to_series(nm, v, index) for nm, v in out.items()}
    cols.update(extras)  # the raw columns (index already reset)
    return pd.DataFrame(cols, index=index)


def _validate_columns(columns, n: int, *, require_case_id: bool, source, unknown: str = "carry"
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
    seen: dict[str, int] = {}
    for i, nm in enumerate(names):
        if nm in seen:
            problems.append(Problem(nm, columns[i][0], "", location="header", detail=f"column {nm!r} appears more "
                                    f"than once (columns {seen[nm] + 1} and {i + 1})"))
        else:
            seen[nm] = i

    case_ids = _case_id_labels(columns, names)
    out: dict[str, np.ndarray] = {}
    extras: dict[str, Any] = {}
    for i, nm in enumerate(names):
        if seen.get(nm) != i:
            continue
        rawname, col = columns[i]
        f = field_for(nm)
        if f is None:
            miss = _near_miss(nm)
            if miss is not None:
                problems.append(Problem(nm, str(rawname), "", suggestion=miss,
                                        location="header" if require_case_id else None,
                                        detail=f"{str(rawname)!r} is not a field "
                                        "of the case contract"))
                continue
            alias = same_field_under_another_name(nm, taken=set(names))
            if unknown == "refuse" or alias is not None:
                hint = (f"it is the field {alias.field} ({field_label(alias.field)}) under another name: rename it, "
                        "or map it (netorigin map suggest FILE)") if alias is not None else \
                    "every key of a case is a contract field (netorigin template lists them)"
                problems.append(Problem(nm, str(rawname), "", location="header" if require_case_id else None,
                                        detail=f"{str(rawname)!r} is not a field of the case contract; {hint}"))
                continue
            extras[str(rawname)] = col
            continue
        parsed, bad, readings = _parse_column(f, col)
        for rawval, prob, rows in bad:
            problems.append(_with_rows(prob, rows, case_ids, require_case_id or n > 1))
        for rawval, value, rule, rows in readings:
            said = f"{field_label(f.name)}: {str(rawval).strip()!r} read as {value} ({rule})"
            notices.append(Notice("read_as", f"{_rowtxt(rows, case_ids)}: {said}" if n > 1 else said, (f.name,),
                                  tuple(int(r) + 1 for r in rows), case_text=said))
        out[f.name] = to_array(f.name, parsed)

    _check_case_ids(out, problems, require_case_id, n)
    _check_labels(out, problems, notices, case_ids)
    if problems:
        raise ValidationError(problems, source)
    notices += _consistency_notices(out, case_ids, n)
    if extras:
        notices.insert(0, Notice("extra_columns", f"{len(extras)} column(s) not in the case "
                                 f"contract carried through untouched: {', '.join(extras)}",
                                 tuple(extras)))
        for c in extras:
            g = guess_field(c, taken=set(out))
            if g is not None and g.field not in ("case_id", "primary_site", "primary_site_detail"):
                notices.insert(0, Notice("unmapped_field", f"column {c!r} looks like the contract field {g.field} "
                                         f"(matched {g.how}) but is NOT used: the model sees {g.field} as not done. "
                                         f"Rename it, or map it (netorigin map suggest FILE)", (c,)))
    order = [nm for nm in FIELDS if nm in out] + sorted(nm for nm in out if nm.startswith("expr_") and nm not in FIELDS)
    return {nm: out[nm] for nm in order}, extras, notices


def _case_id_labels(columns, names: list[str]) -> np.ndarray | None:
    if "case_id" not in names:
        return None
    col = columns[names.index("case_id")][1]
    return np.array([("" if _is_missing(v) else (_as_text(v) or "")) for v in col], dtype=object)


def _with_rows(prob: Problem, rows: np.ndarray, case_ids, cohort: bool) -> Problem:
    if not cohort:
        return prob
    ids = tuple(case_ids[rows[:6]]) if case_ids is not None else ()
    return Problem(prob.field, prob.value, prob.expected, tuple(int(r) + 1 for r in rows),
                   ids, prob.suggestion, prob.detail)


def _check_case_ids(out, problems, require: bool, n: int) -> None:
    if not require:
        return
    if "case_id" not in out:
        problems.append(Problem("case_id", None, "", location="header", detail="the cohort has no case_id column "
                                "(required, one unique identifier per case)"))
        return
    ids = pd.Series(out["case_id"], dtype=object)
    missing = np.flatnonzero(ids.isna().to_numpy())
    if len(missing):
        problems.append(Problem("case_id", "", "", tuple(int(r) + 1 for r in missing),
                                detail="is blank; every case in a cohort needs a case_id"))
    dup = ids[ids.duplicated(keep=False) & ids.notna()]
    for cid, grp in dup.groupby(dup, sort=True):
        rows = tuple(int(r) + 1 for r in grp.index)
        problems.append(Problem("case_id", cid, "", rows, (cid,),
                                detail=f"{cid!r} is used by {len(rows)} rows; case_ids must be unique"))


def _check_labels(out, problems, notices, case_ids) -> None:
    if "primary_site_detail" not in out:
        return
    detail = pd.Series(out["primary_site_detail"], dtype=object)
    implied = detail.map(DETAIL_TO_SITE)
    if "primary_site" in out:
        site = pd.Series(out["primary_site"], dtype=object)
        clash = site.notna() & implied.notna() & (site != implied)
        for (s, d), grp in site[clash].groupby([site[clash], detail[clash]]):
            rows = tuple(int(r) + 1 for r in grp.index)
            ids = tuple(case_ids[np.array(rows[:6]) - 1]) if case_ids is not None else ()
            problems.append(Problem("primary_site", s, "", rows, ids,
                                    detail=f"{s!r} contradicts primary_site_detail {d!r} "
                                    f"(which means {DETAIL_TO_SITE[d]!r})"))
        fill = site.isna() & implied.notna()
    else:
        site = pd.Series([None] * len(detail), dtype=object)
        fill = implied.notna()
    if fill.any():
        site = site.where(~fill, implied)
        filled = site.to_numpy(dtype=object, copy=True)
        filled[pd.isna(filled)] = None
        out["primary_site"] = filled
        notices.append(Notice("derived", f"primary_site filled from primary_site_detail in "
                              f"{int(fill.sum())} row(s)", ("primary_site", "primary_site_detail"),
                              tuple(int(r) + 1 for r in np.flatnonzero(fill.to_numpy())[:20])))


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

    >>> mitoses_band_index(pd.Series(["<2", "7", None, ">20", "2"])).tolist()
    [0.0, 1.0, nan, 2.0, 1.0]
    """
    if not isinstance(values, pd.Series) and len(values) <= 16:  # a case or a few: no factorising
        return np.array([_mitoses_band(v) for v in values], dtype=float)
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


def _consistency_notices(out: Mapping[str, np.ndarray], case_ids, n: int) -> list[Notice]:
    notices: list[Notice] = []

    def num(name):
        return out[name] if name in out else np.full(n, np.nan)

    def cat(name):
        return out[name] if name in out else np.full(n, None, dtype=object)

    def add(kind, mask, text, fields):
        rows = np.flatnonzero(mask)
        if len(rows):
            notices.append(Notice(kind, text.format(n=len(rows), rows=_rowtxt(rows, case_ids)),
                                  fields, tuple(int(r) + 1 for r in rows),
                                  case_text=text.replace("{rows}: ", "", 1)))

    grade = np.array([_GRADE_NUMBER.get(v, np.nan) for v in cat("grade")], dtype=float)
    g_ki = grade_from_ki67(num("ki67_percent"))
    g_mi = (mitoses_band_index(out["mitoses_per_2mm2"]) + 1) if "mitoses_per_2mm2" in out else np.full(n, np.nan)
    evidence = np.fmax(g_ki, g_mi)
    add("inconsistent", grade < evidence, "{rows}: grade is lower than Ki-67 / mitotic count "
        "imply by the WHO 2019 cut-offs (grade vs ki67_percent, mitoses_per_2mm2)",
        ("grade", "ki67_percent", "mitoses_per_2mm2"))
    both = ~np.isnan(g_ki) & ~np.isnan(g_mi)
    add("inconsistent", both & (grade > evidence), "{rows}: grade is higher than both Ki-67 "
        "and mitotic count imply (grade vs ki67_percent, mitoses_per_2mm2)",
        ("grade", "ki67_percent", "mitoses_per_2mm2"))
    add("inconsistent", (cat("carcinoid_syndrome") == "yes") & (cat("urine_5hiaa") == "normal"),
        "{rows}: carcinoid syndrome with normal urine 5-HIAA (carcinoid_syndrome vs urine_5hiaa)",
        ("carcinoid_syndrome", "urine_5hiaa"))
    for base in ("serum_cga", "urine_5hiaa"):
        level, fold = cat(base), num(base + "_x_uln")
        add("inconsistent", ((level == "normal") & (fold > 1)) | ((level == "elevated") & (fold <= 1)),
            "{rows}: " + f"{base} disagrees with {base}_x_uln (elevated means above 1 x ULN)",
            (base, base + "_x_uln"))
    add("out_of_scope", cat("differentiation") == "poor", "{rows}: poorly differentiated: "
        "neuroendocrine carcinoma is outside netorigin's intended use (well-differentiated NET "
        "only)", ("differentiation",))
    add("intended_use", (cat("differentiation") != "poor") & ((grade == 3) | (num("ki67_percent") > 20)),
        "{rows}: NET G3 / Ki-67 above 20% is at the edge of the intended use: few such cases "
        "inform the model", ("grade", "ki67_percent"))
    return notices


def renumber_notices(notices: list, row_numbers, case_ids) -> list:
    """The notices of a table validated after some rows were set aside, their text quoting the rows
    as numbered in the file (``row_numbers``: the file's row number of each table row) instead of
    their place in what was left. ``rows`` (places in the table, used to find each row's warnings)
    are kept."""
    out = []
    numbers = np.asarray(row_numbers)
    for n in notices:
        if n.rows and n.case_text is not None:
            at = np.asarray(n.rows, dtype=int) - 1
            old = _rowtxt(at, case_ids)
            if n.message.startswith(old + ": "):
                n = Notice(n.kind, _rowtxt(at, case_ids, numbers) + ": " + n.message[len(old) + 2:], n.fields,
                           n.rows, n.case_text)
        out.append(n)
    return out


def _rowtxt(rows: np.ndarray, case_ids, numbers=None) -> str:
    shown = []
    for r in rows[:5]:
        cid = case_ids[r] if case_ids is not None else ""
        shown.append(f"{r + 1 if numbers is None else numbers[r]}" + (f" ({cid})" if cid else ""))
    more = f" and {len(rows) - 5:,} more" if len(rows) > 5 else ""
    if len(rows) == 1 and case_ids is None and rows[0] == 0:
        return "case"
    return ("row " if len(rows) == 1 else f"{len(rows):,} rows: ") + ", ".join(shown) + more


def validate_case(case: Mapping[str, Any], *, source: str | None = None) -> ValidatedCohort:
    """Validate one case given as a mapping of field -> value (from JSON, YAML or a form).

    ``case_id`` is optional. Returns a one-row :class:`ValidatedCohort`.

    >>> v = validate_case({"CDX2": "pos"})
    Traceback (most recent call last):
    ...
    netorigin.exceptions.ValidationError: case: cdx2: 'CDX2' is not a field of the case contract; did you mean 'ihc_cdx2'?
    >>> validate_case({"ihc_cdx2": "pos", "sex": "F"}).table.loc[0, "sex"]
    'female'
    """
    if not isinstance(case, Mapping):
        raise ValidationError([Problem("case", _short(case), "", detail="a case must be a "
                                       f"mapping of field: value, not {type(case).__name__}")], source)
    problems = []
    row: dict[str, list[Any]] = {}
    for k, v in case.items():
        if not isinstance(k, (str, int, float)) or isinstance(k, bool) or not str(k).strip():
            problems.append(Problem("case", _short(k), "", detail=f"key {_short(k)} is not a field name"))
            continue
        if isinstance(v, (list, tuple, dict, set)):
            problems.append(Problem(_canonical_name(k), _short(v), "", detail=f"{_short(v)} is "
                                    "not a single value"))
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


def as_canonical(X) -> pd.DataFrame | CaseColumns:
    """The canonical table of ``X``: returned as is when already validated (a canonical table,
    or the :class:`CaseColumns` of a validated case), else validated."""
    if isinstance(X, CaseColumns):
        return X
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"expected a cohort table (pandas DataFrame), got {type(X).__name__}")
    dtypes = dict(zip(X.columns, X.dtypes))  # one pass over the dtypes, no column access (fast for one case)
    canonical = all(
        isinstance(dtypes[c], pd.CategoricalDtype) and list(dtypes[c].categories) == list(FIELDS[c].values)
        for c in X.columns if c in FIELDS and FIELDS[c].kind == "category"
    ) and all(c == c.lower() and c.strip() == c for c in X.columns if isinstance(c, str))
    numeric = [c for c in X.columns if c in FIELDS and FIELDS[c].kind == "number"]
    if canonical and all(pd.api.types.is_float_dtype(dtypes[c]) for c in numeric) and _in_range(X, numeric):
        return X
    return validate_cohort(X, require_case_id=False).table


def _in_range(X: pd.DataFrame, numeric) -> bool:
    """Typed input still gets its numbers checked (a fast min/max per column)."""
    if not numeric:
        return True
    values = X[numeric].to_numpy(dtype=float)
    for j, c in enumerate(numeric):
        v = values[:, j]
        f = FIELDS[c]
        if np.isinf(v).any():
            return False
        finite = v[~np.isnan(v)]
        if not len(finite):
            continue
        lo, hi = finite.min(), finite.max()
        if f.minimum is not None and (lo < f.minimum or (f.exclusive_minimum and lo <= f.minimum)):
            return False
        if f.maximum is not None and hi > f.maximum:
            return False
    return True


def check_cohort(raw: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """Validate a cohort and return only its canonical table (notices are dropped)."""
    return validate_cohort(raw, **kwargs).table


def check_case(case: Mapping[str, Any]) -> pd.DataFrame:
    """Validate one case and return its one-row canonical table."""
    return validate_case(case).table

