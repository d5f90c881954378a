"""One raw value read into the contract: synonyms, units, pathology wordings by their documented
rule, suggestions that are only ever typing mistakes, "not done" kept apart; a column read through
its unique values. Every refusal is a :class:`~netorigin.exceptions.Problem` naming the field, the
value and what was expected."""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

import numpy as np

from .._runtime import is_pandas_missing
from ..exceptions import Problem
from ._fields import Field
from ._procedures import PROCEDURE_RULE, PROCEDURES, read_procedure
from ._vocabulary import MISSING_TOKENS

_MISSING = object()  # sentinel for "not done / not known"
_NUMBER = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)\s*(.*)$", re.IGNORECASE)
_BAND = {"<2": "<2", "2-20": "2-20", ">20": ">20"}
_BELOW = re.compile(r"^(?:<|less than|below)\s*(\d+(?:\.\d*)?)\s*%?$", re.IGNORECASE)
_GRADE_NUMBER = {"G1": 1.0, "G2": 2.0, "G3": 3.0}


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
    if v is None:
        return True
    if is_pandas_missing(v):
        return True
    if isinstance(v, (float, np.floating)) and math.isnan(v):
        return True
    if isinstance(v, str) and " ".join(v.split()).lower() in MISSING_TOKENS:
        return True
    return False


def is_not_done(v: Any) -> bool:
    """Whether the contract reads ``v`` as not done / not known, whatever the field: None, NaN, a
    blank, or one of :data:`MISSING_TOKENS` (any case and spacing).

    >>> is_not_done(" N/A "), is_not_done(float("nan")), is_not_done("no")
    (True, True, False)
    """
    return _is_missing(v)


def read_number(v: Any) -> float | None:
    """``v`` read as the contract reads a number written without a unit (a sign, digits, a decimal
    point, an exponent; a Python or NumPy number), or None when it is not one.

    >>> read_number(" 35 "), read_number("1e1"), read_number("35 mm"), read_number(True)
    (35.0, 10.0, None, None)
    """
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    text = _as_text(v)
    m = _NUMBER.match(text) if text is not None else None
    return float(m.group(1)) if m and not m.group(2).strip() else None


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


def _below_token(text: str) -> str | None:
    """ "<1", "< 1 %", "less than 1", "below 1.0" -> "<1" (the key of a number field's readings)."""
    m = _BELOW.match(" ".join(text.split()))
    return f"<{_fmt_number(float(m.group(1)))}" if m else None


def _range(f: Field, text: str) -> Problem:
    return Problem(
        f.name,
        text,
        f.expected(),
        detail=f"{text!r} is a range, not a number; expected {f.expected()}: give the number if it is known, "
        "or leave it blank",
    )


def _parse_number(f: Field, v: Any) -> float | Problem:
    if isinstance(v, (bool, np.bool_)):
        return Problem(f.name, v, f.expected())
    if isinstance(v, (int, float, np.integer, np.floating)):
        x = float(v)
    else:
        text = _as_text(v)
        if text is None:
            return Problem(f.name, _short(v), "a single value: " + f.expected())
        x = _number_from_text(f, text)
        if isinstance(x, Problem) or (f.readings and _below_token(text) is not None):
            return x
    if not math.isfinite(x):
        return Problem(f.name, v, "a finite number: " + f.expected())
    lo, hi = f.minimum, f.maximum
    if lo is not None and (x < lo or (f.exclusive_minimum and x <= lo)):
        return Problem(f.name, v, f.expected())
    if hi is not None and x > hi:
        return Problem(f.name, v, f.expected())
    return x


def _number_from_text(f: Field, text: str) -> float | Problem:
    """A number written as text: with a unit the field accepts, or a "below x" reading ("<1")."""
    below = _below_token(text) if f.readings else None
    if below is not None:
        return f.readings[below][0] if below in f.readings else _range(f, text)
    m = _NUMBER.match(text)
    if not m:
        return Problem(f.name, text, f.expected())
    x = float(m.group(1))
    unit = m.group(2).strip().lower()
    if re.match(r"^(?:-|to\b)\s*\d", unit):  # "0-1", "2 to 5"
        return _range(f, text)
    if unit:
        if unit not in f.unit_suffixes:
            units = ", ".join(sorted(f.unit_suffixes)) or "none"
            return Problem(
                f.name,
                text,
                f.expected(),
                detail=f"{text!r} has unit {unit!r}; expected {f.expected()} (units accepted: {units})",
            )
        x *= f.unit_suffixes[unit]
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
        return Problem(f.name, text, f.expected(), suggestion="2-20" if t in (">2", ">=2", "2+") else None)
    return _fmt_number(x)


MAX_ID_LENGTH = 200  # characters of a case identifier


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
        return _identifier(f, v)
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
    return _by_rule(f, token, text)


def _by_rule(f: Field, token: str, text: str) -> Any:
    """A value no spelling names, read by its field's rule (a count of liver lesions; a procedure's
    result in words, "pancreatic tail lesion", shown back by :func:`reading_of`), or the Problem."""
    if f.name == "liver_lesions":
        n = _parse_count(token)
        if n is not None:
            return "solitary" if n == 1 else ("oligo" if n <= 5 else "multiple")
    if f.procedure:
        value, why = read_procedure(PROCEDURES[f.name], text)
        if value is not None:
            return value
        if why:
            return Problem(f.name, text, f.expected(), detail=f"{text!r}: {why}; expected {f.expected()}")
    return Problem(f.name, text, f.expected(), suggestion=_suggest(token, f))


def _identifier(f: Field, v: str) -> str | Problem:
    """An identifier kept exactly as given (joins must still match); one of more than
    :data:`MAX_ID_LENGTH` characters (it is shown and printed whole), or with a control character
    (a line break, a tab, a terminal escape), an invisible formatting one (a right-to-left override,
    which reverses what is shown; a zero-width space) or a lone surrogate is refused, never changed."""
    if len(v) > MAX_ID_LENGTH:
        return Problem(
            f.name,
            _short(v),
            "",
            detail=f"{_short(v)} is {len(v):,} characters; an identifier has at most {MAX_ID_LENGTH}",
        )
    bad = next((c for c in v if _unprintable(c)), None)
    if bad is not None:
        return Problem(
            f.name,
            _short(v),
            "",
            detail=f"{_short(v)} contains an invisible or control character "
            f"(U+{ord(bad):04X}); identifiers must be one line of printable text",
        )
    return v


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


def reading_of(f: Field, raw: Any) -> tuple[str, str] | None:
    """(value, rule) when ``raw`` is a pathology wording of field ``f`` read by a documented rule
    ("focal" -> positive), else None.

    >>> from netorigin.contract import FIELDS
    >>> reading_of(FIELDS["ihc_cdx2"], "Focal")
    ('positive', 'focal, patchy, partial, diffuse, moderate, strong or 2+/3+ staining is positive')
    """
    if not (f.readings or f.procedure) or not isinstance(raw, str):
        return None
    if f.kind == "number":
        below = _below_token(raw)
        return f.readings.get(below) if below else None
    token = " ".join(raw.split()).lower()
    if token in f.synonyms or _is_missing(raw):
        return None
    if f.procedure:
        value = read_procedure(PROCEDURES[f.name], raw)[0]
        return (value, PROCEDURE_RULE) if value is not None else None
    return f.readings.get(token)


def _parse_column(f: Field, values) -> tuple[np.ndarray, list, list]:
    """Parse a column through its unique values. Returns (parsed object array, problems as
    (raw, Problem, rows), readings as (raw, value, rule, rows))."""
    if len(values) == 1:  # one case: no factorising
        raw = values.iloc[0] if hasattr(values, "iloc") else values[0]
        res = parse_value(f, raw)
        out = np.empty(1, dtype=object)
        if isinstance(res, Problem):
            return out, [(raw, res, np.array([0]))], []
        out[0] = res
        read = reading_of(f, raw)
        return out, [], ([(raw, *read, np.array([0]))] if read else [])
    import pandas as pd  # a cohort's column: read through its unique values

    values = pd.Series(values, dtype=object)
    bad: list = []
    readings: list = []
    kind = values.map(_cell_kind).to_numpy(dtype=np.int8) if values.dtype == object else np.zeros(len(values), np.int8)
    nested = kind == 1
    if nested.any():  # not one value, and not hashable: refused row by row, never factorised
        for r in np.flatnonzero(nested):
            bad.append(
                (
                    values.iloc[r],
                    Problem(f.name, _short(values.iloc[r]), "a single value: " + f.expected()),
                    np.array([r]),
                )
            )
    # True == 1 and False == 0 to a hash table: booleans are read apart from numbers, so that a
    # value never takes the reading of another one that happens to come first in its column
    flags = np.flatnonzero(kind == 2)
    truth = [bool(values.iloc[r]) for r in flags]
    if kind.any():
        values = values.where(kind == 0, None)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    raws = list(uniques) + [True, False]
    codes[flags] = [len(uniques) + (0 if t else 1) for t in truth]
    parsed = np.empty(len(raws) + 1, dtype=object)
    parsed[-1] = None  # code -1 (NaN / None, a nested value) -> missing
    for k, raw in enumerate(raws):
        rows = np.flatnonzero(codes == k)
        if k >= len(uniques) and not len(rows):
            continue
        res = parse_value(f, raw)
        if isinstance(res, Problem):
            parsed[k] = None
            bad.append((raw, res, rows))
        else:
            parsed[k] = res
            read = reading_of(f, raw)
            if read:
                readings.append((raw, *read, rows))
    return parsed[codes], bad, readings


def _cell_kind(v) -> int:
    """0: one hashable value; 1: a container (not one value); 2: a boolean."""
    if isinstance(v, (bool, np.bool_)):
        return 2
    return 1 if isinstance(v, (list, tuple, dict, set, np.ndarray)) else 0
