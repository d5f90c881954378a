"""Something the user should know that does not stop the work (:class:`Notice`), and the research
notice: one spelling everywhere a model's answer is shown."""

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


# One spelling of the research notice, everywhere it is shown.
RESEARCH_NOTICE = "For research use only; trained on synthetic data; not validated on patients; not a medical device."


def research_notice(training_data: dict | None) -> str:
    """What a model is not, told truly: :data:`RESEARCH_NOTICE` for a model trained on synthetic
    cases; for one trained on a user's cohort, what it was trained on instead of "synthetic".

    >>> research_notice({"description": "file registry.csv", "n_labelled": 812})[:71]
    'For research use only; trained on file registry.csv (812 labelled cases'
    """
    td = training_data or {}
    desc = str(td.get("description") or "")
    if not desc or desc.startswith("synthetic"):
        return RESEARCH_NOTICE
    n = td.get("n_labelled")
    cases = f" ({n:,} labelled cases)" if isinstance(n, int) else ""
    return f"For research use only; trained on {desc}{cases}, not validated by netorigin; not a medical device."
