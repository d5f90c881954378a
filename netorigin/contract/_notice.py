"""Something the user should know that does not stop the work."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    """Something the user should know that does not stop the work (a warning or a note).

    ``kind`` is one of ``extra_columns``, ``unmapped_field`` (an extra column that looks like a
    field), ``inconsistent``, ``intended_use`` (at its edge),
    ``out_of_scope`` (outside it: not scored unless asked), ``derived``.

    Parameters
    ----------
    kind : str
        What it is about (see above).
    message : str
        The text, naming the rows when there are several cases.
    fields : tuple of str
        The contract fields it concerns.
    rows : tuple of int
        1-based data rows it concerns (empty: all, or a single case).
    case_text : str, optional
        The text as said about one case, without row numbers.
    """

    kind: str
    message: str
    fields: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()
    case_text: str | None = None  # the message for one case of ``rows`` (no row list)
