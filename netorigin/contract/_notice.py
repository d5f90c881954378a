"""Something the user should know that does not stop the work."""

from __future__ import annotations

from dataclasses import dataclass


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
