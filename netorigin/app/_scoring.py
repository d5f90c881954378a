"""``netorigin score`` as one library call: read the input, load the model, score, write the
outputs that were asked for. The CLI only renders what this returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..exceptions import InputError
from ..io._outputs import write_bytes_atomic


@dataclass
class ScoreOutput:
    """What scoring produced: one case's report, or a cohort's table (already written if asked)."""

    identity: dict
    report: dict | None = None
    table: object = None
    written: tuple = ()
    notes: tuple = ()
    validated: object = None  # the cohort as read (its set_aside rows when invalid rows were skipped)


TABLE_OUT = (".csv", ".tsv", ".parquet", ".pq")


def refuse_out_of_scope(validated, score_anyway: bool, page_to=None, identity=None) -> None:
    """Raise :class:`OutOfScopeError` for one case outside the intended use, unless asked; with
    ``page_to``, first write the printable page that says why it is not scored (``identity``: the
    model's, named on the page)."""
    from ..exceptions import OutOfScopeError

    outside = [n for n in validated.notices if n.kind == "out_of_scope"]
    if outside and not score_anyway:
        why = outside[0].case_text or outside[0].message
        said = ""
        if page_to:
            from ._report import out_of_scope_html

            write_bytes_atomic(page_to, out_of_scope_html(why, validated.table, identity or {}).encode("utf-8"))
            said = f" (a printable page saying so: {page_to})"
        raise OutOfScopeError(
            f"not scored: {why}. The site model knows well-differentiated NETs only; --score-anyway scores "
            f"it with this warning on top{said}"
        )


def score_path(
    path,
    *,
    model: str,
    tracking_uri: str | None = None,
    as_kind: str = "auto",
    mapping=None,
    target_prior=None,
    coverage: float = 0.9,
    output=None,
    plot=None,
    report=None,
    progress=None,
    panel: int = 2,
    tests=None,
    per_cost: bool = False,
    score_anyway: bool = False,
    skip_invalid: bool = False,
    set_aside=None,
) -> ScoreOutput:
    """Score one case file or a cohort file.

    A cohort (or any input with ``output``) gives a table, written to ``output`` (.csv/.parquet)
    when named; one case gives a report (``case_report``), with a waterfall PNG (``plot``) and a
    self-contained HTML page (``report``) when named. Every output (``set_aside`` included: the
    file a cohort's invalid rows go to with ``skip_invalid``) is checked before any work
    (:func:`~netorigin.io.plan_outputs`): never an input, never two outputs in one file.

    A case outside the intended use (poorly differentiated) raises :class:`OutOfScopeError`
    unless ``score_anyway``; in a cohort such rows are kept, unscored, with their status.
    """
    from ..io import Output, load_cases, plan_outputs
    from ..training import load_model

    local_model = None if str(model).startswith(("models:/", "runs:/")) else model
    plan_outputs(
        [
            Output("-o", output, suffixes=TABLE_OUT),
            Output("--set-aside", set_aside, suffixes=(".csv",)),
            Output("--plot", plot, suffixes=(".png",)),
            Output("--report", report, suffixes=(".html", ".htm")),
        ],
        inputs=[path, mapping, tests, local_model],
    )
    validated = load_cases(path, kind=as_kind, mapping=mapping, skip_invalid=skip_invalid)
    settings = {"target_prior": target_prior, "coverage": coverage}
    if not validated.is_case or output:
        if plot or report:
            raise InputError("--plot and --report are for one case; score a cohort with -o FILE")
        m = load_model(model, tracking_uri)
        how = {"panel": panel, "tests": tests, "per_cost": per_cost}  # the advice as for one case
        return _score_table(m, validated, output, settings, progress=progress, score_anyway=score_anyway, **how)
    m = load_model(model, tracking_uri)
    refuse_out_of_scope(validated, score_anyway, page_to=report, identity=m.identity_.as_dict())
    return _score_one(m, validated, plot, report, settings, panel=panel, tests=tests, per_cost=per_cost)


def _score_table(m, validated, output, settings: dict, **how) -> ScoreOutput:
    """A cohort (or a case asked for as a table): the table, written to ``output`` when named, and
    what was done to it (input columns renamed, formula-like cells neutralised) as notes."""
    from ..inference import score_cohort
    from ..io import neutralise_formulas, write_table

    table = score_cohort(m, validated, **settings, **how)
    notes = []
    renamed = getattr(table, "attrs", {}).get("renamed_input_columns", {})
    if renamed:
        notes.append(
            "input column(s) sharing a name with an output column kept as "
            + ", ".join(f"{a} -> {b}" for a, b in renamed.items())
        )
    if output:
        out_path = Path(output)
        safe, changed = neutralise_formulas(table) if out_path.suffix.lower() in (".csv", ".tsv") else (table, 0)
        write_table(safe, out_path)
        if changed:
            notes.append(
                f"{changed:,} text cell(s) or column name(s) starting with =, +, -, @ (read as formulas "
                "by spreadsheets) were prefixed with ' in the CSV"
            )
    return ScoreOutput(
        m.identity_.as_dict(),
        table=table,
        written=(str(output),) if output else (),
        notes=tuple(notes),
        validated=validated,
    )


def _score_one(m, validated, plot, report, settings: dict, **how) -> ScoreOutput:
    """One case: its report, with the waterfall chart (``plot``) and the printable page
    (``report``) written when named."""
    from ..inference import case_report, score_cases

    rep = case_report(score_cases(m, validated.cases, notices=validated.notices, **settings, **how), 0)
    written = []
    if plot:  # the chart needs matplotlib (the tracking extra); the report does not
        if rep["explanation"] is None:
            raise InputError(f"--plot: a {m.kind} model gives no explanation to chart")
        from ..training._plots import waterfall_png

        write_bytes_atomic(plot, waterfall_png(rep))
        written.append(str(plot))
    if report:
        from ._report import html_report

        write_bytes_atomic(report, html_report(rep).encode("utf-8"))
        written.append(str(report))
    return ScoreOutput(m.identity_.as_dict(), report=rep, written=tuple(written))


def score_dask(
    path,
    output,
    *,
    model: str,
    tracking_uri: str | None = None,
    target_prior=None,
    coverage: float = 0.9,
    scheduler=None,
    workers: int = 2,
    progress=None,
) -> int:
    """Score a folder of Parquet partitions on Dask, one output file per input; cases scored."""
    from ..io import Output, plan_outputs
    from ..training import score_partitions

    plan_outputs([Output("-o", output, kind="folder")], inputs=[path])

    bundle = model
    if str(model).startswith(("models:/", "runs:/")):
        from ..training import registered_bundle_path

        if tracking_uri is None:
            raise InputError(f"{model}: an MLflow model needs a tracking URI")
        bundle = registered_bundle_path(model, tracking_uri)
    return score_partitions(
        bundle,
        path,
        output,
        scheduler=scheduler,
        workers=workers,
        target_prior=target_prior,
        coverage=coverage,
        progress=progress,
    )
