"""Something the user should know that does not stop the work; the research notice, one spelling everywhere a model's answer is shown."""

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
