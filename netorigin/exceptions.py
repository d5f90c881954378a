"""The errors netorigin raises. Every message names the field, the value and what was expected."""

from __future__ import annotations

from dataclasses import dataclass


class NetoriginError(Exception):
    """Base class of every error netorigin raises on purpose."""


class InputError(NetoriginError, ValueError):
    """A file or argument that cannot be read or used (missing file, unknown format...)."""


class OutOfScopeError(NetoriginError):
    """A case outside netorigin's intended use (a poorly differentiated carcinoma): not scored
    unless asked. The command line exits with :attr:`exit_code`.
    """

    exit_code = 3


SEED_MAX = 2**32 - 1


def check_seed(value, name: str = "seed"):
    """A random seed as NumPy and xgboost take it: None, a generator, or a whole number in
    0..2**32-1; anything else is refused naming ``name``."""
    import numbers

    import numpy as np

    if value is None or isinstance(value, (np.random.RandomState, np.random.Generator)):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) <= SEED_MAX:
        raise InputError(f"{name}: {value!r} is not a whole number from 0 to {SEED_MAX:,}")
    return int(value)


LABELS: dict[str, str] = {}  # field name -> plain words; filled by netorigin.contract (a layer above)


def named(field: str) -> str:
    """A field as a message names it: its plain words and, for the record, its name
    ("Ki-67 (ki67_percent)"); the name alone when it has no other words."""
    label = LABELS.get(field)
    return f"{label} ({field})" if label and label != field else field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``rows`` are 1-based data-row numbers in a cohort (empty for a single case) and
    ``case_ids`` the matching case identifiers where known.

    Parameters
    ----------
    field : str
        The field (or column) at fault.
    value : object
        The value as read.
    expected : str
        What was expected, in words.
    rows : tuple of int
        1-based data rows with this problem.
    case_ids : tuple of str
        The case ids of those rows, where known.
    suggestion : str, optional
        The value a typing mistake most likely meant (never another meaning).
    detail : str, optional
        A fuller explanation that replaces "is not <expected>".
    location : str, optional
        Where, when not a row ("header", a mapping key).
    """

    field: str
    value: object
    expected: str
    rows: tuple[int, ...] = ()
    case_ids: tuple[str, ...] = ()
    suggestion: str | None = None
    detail: str | None = None
    location: str | None = None

    def where(self) -> str:
        if self.location:
            return self.location
        if not self.rows:
            return "case"
        shown = ", ".join(str(r) for r in self.rows[:5])
        more = f" and {len(self.rows) - 5:,} more" if len(self.rows) > 5 else ""
        ids = [c for c in self.case_ids[:5] if c]
        idtxt = f" (case {', '.join(ids)}{'...' if len(self.case_ids) > 5 else ''})" if ids else ""
        noun = "row" if len(self.rows) == 1 else "rows"
        return f"{noun} {shown}{more}{idtxt}"

    def message(self, *, words: bool = False) -> str:
        """The problem as a line.

        Parameters
        ----------
        words : bool
            For the reader of a form (a clinician), who sees each field by its plain words and never its
            name, and one case without "case:".

        Returns
        -------
        str
            The line.
        """
        name = LABELS.get(self.field, self.field) if words else named(self.field)
        where = "" if words and self.where() == "case" else f"{self.where()}: "
        if self.detail:
            text = f"{where}{name}: {self.detail}"
        else:
            expected = self.expected.replace("not_done", "not done") if words else self.expected
            text = f"{where}{name}: {self.value!r} is not {expected}"
        if self.suggestion:
            text += f"; did you mean {self.suggestion!r}?"
        return text


class ValidationError(NetoriginError, ValueError):
    """Input that breaks the case contract. ``problems`` lists every fault found, not just the first.

    Parameters
    ----------
    problems : list of Problem
        Every fault found.
    source : str, optional
        The file or input they were found in.
    """

    def __init__(self, problems: list[Problem], source: str | None = None):
        # header problems first, then by first row, keeping the field order within a row
        self.problems = sorted(problems, key=lambda p: (p.location is None, min(p.rows, default=0)))
        self.source = source
        super().__init__(self._text())

    def _text(self, words: bool = False) -> str:
        head = f"{self.source}: " if self.source else ""
        n = len(self.problems)
        if n == 1:
            return head + self.problems[0].message(words=words)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found:"]
        lines += [f"  - {p.message(words=words)}" for p in self.problems]
        return "\n".join(lines)

    def in_words(self) -> str:
        """The message for the reader of a form: each field by its plain words, never its name.

        For instance "Ki-67: '<5' is not a number from 0 to 100".

        Returns
        -------
        str
            The message.
        """
        return self._text(words=True)


def check_stored(
    value,
    name: str,
    *,
    shape: tuple | None = None,
    low=-float("inf"),
    high=float("inf"),
    above: bool = False,
    whole: bool = False,
):
    """A stored array of numbers (read from a file) checked for shape and range; refused naming
    ``name``, the first value out of range and what was expected.

    ``shape``: the expected shape (None in it: any length); ``low`` / ``high``: the range, a
    number or one per value (``above``: ``low`` itself excluded); ``whole``: whole numbers only.
    Always finite.

    >>> check_stored([0.5, 1.0], "p", shape=(2,), low=0, high=1).tolist()
    [0.5, 1.0]
    >>> check_stored([0.5, -2.0], "p", low=0, high=1)
    Traceback (most recent call last):
    ...
    netorigin.exceptions.InputError: p[1]: -2.0 is not a number from 0 to 1
    """
    import numpy as np

    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name}: {str(value)[:60]!r} is not an array of numbers") from None
    if shape is not None and (
        arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape))
    ):
        raise InputError(f"{name}: {_shape_words(arr.shape)}, not {_shape_words(shape)}")
    ok = np.isfinite(arr) & (arr > low if above else arr >= low) & (arr <= high)
    if whole:
        ok &= arr == np.round(arr)
    if not ok.all():
        at = tuple(int(i) for i in np.argwhere(~ok)[0])
        where = f"{name}[{', '.join(map(str, at))}]" if at else name
        lo, hi = (float(np.broadcast_to(b, arr.shape)[at]) for b in (low, high))
        raise InputError(f"{where}: {float(arr[at])!r} is not {_expected(lo, hi, above, whole)}")
    return arr


def _expected(low: float, high: float, above: bool, whole: bool) -> str:
    """The range of :func:`check_stored` in words."""
    import numpy as np

    kind = "a whole number" if whole else "a number"
    lo = f"{'>' if above else '>='} {low:g}"
    if np.isinf(low) and np.isinf(high):
        return f"a finite {kind[2:]}"
    if np.isinf(high):
        return f"{kind} {lo}"
    if np.isinf(low):
        return f"{kind} <= {high:g}"
    return f"{kind} {lo} and <= {high:g}" if above else f"{kind} from {low:g} to {high:g}"


def _shape_words(shape) -> str:
    """``()`` one number; ``(3,)`` a list of 3 numbers; ``(None, 3)`` a table of any x 3 numbers."""
    if len(shape) == 0:
        return "one number"
    sizes = ["any number of" if s is None else str(s) for s in shape]
    if len(shape) == 1:
        return f"a list of {sizes[0]} numbers".replace("of any number of numbers", "of numbers")
    return f"a table of {' x '.join('any' if s is None else str(s) for s in shape)} numbers"
