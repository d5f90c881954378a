"""One scored case and a scored cohort on the terminal (the words come from netorigin.inference,
the same on every output)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..inference import (
    ADVICE_RULE,
    ASSUMED_SOURCE,
    advice_lines,
    model_words,
    percent,
    rests_on_assumptions,
    setting_words,
    why_header,
)
from ._render import _console, _safe


def _breakdown(parts: dict) -> str:
    """The sub-sites of a site worth naming ("ileum 83%, jejunum 14%"); "" when none is."""
    from ..inference import subsite_breakdown

    return subsite_breakdown(parts)


def render_case(rep, all_priors: bool = False) -> None:
    """One scored case: warnings first, then probabilities (with the sub-site breakdown), the set,
    reasons, the next test, the model's identity and the research notice."""
    console = _console()
    m = rep["model"]
    head = f"case {_safe(rep['case_id'])}" if rep["case_id"] else "case"
    console.print(f"[bold]{head}[/]: {rep['scope']}")
    console.print(f"setting: {setting_words(rep['target_prior'])}")
    if rep.get("assumed_by_setting"):
        console.print(f"[dim]{rep['assumed_by_setting']}[/]")
    console.print(f"[bold yellow]{rep['notice']}[/]")
    for w in rep["warnings"]:
        console.print(f"[bold red]warning[/]: {_safe(w)}")
    t = Table(show_header=False, box=None, pad_edge=False)
    sub = rep.get("subsite_probabilities")
    for s, p in rep["probabilities"].items():
        parts = _breakdown(sub[s]) if sub and len(sub[s]) > 1 else ""
        detail = f"({parts})" if parts else ""
        t.add_row(f"  {s}", f"{percent(p):>6}", "[blue]" + "\u2588" * max(1, round(p * 30)) + "[/]", detail)
    console.print(t)
    console.print(f"[bold]{_safe(rep['headline'])}[/]")
    if rep.get("other_settings"):
        console.print(f"[dim]{_safe(rep['other_settings'])}[/]")
    console.print(
        f"[bold]{rep['coverage']:.0%} prediction set[/]: {' or '.join(rep['prediction_set'])}. "
        f"[dim]{rep['set_meaning']}[/]"
    )
    if all_priors:
        console.print(
            "[bold]under other priors[/]: "
            + "; ".join(
                f"{name}: " + ", ".join(f"{s} {percent(p)}" for s, p in probs.items())
                for name, probs in rep["probabilities_by_prior"].items()
            )
        )
    console.print(f"[bold]why[/] ({why_header(rep)}):")
    if rep["reasons"]:
        for r in rep["reasons"]:
            console.print(f"  - {_safe(r['text'])}")
    elif rep["explanation"] is None:
        console.print("  - reasons are not available for this kind of model")
    else:
        console.print("  - no single field moves the answer much")
    console.print(f"[bold]next test to order[/] ({ADVICE_RULE}):")
    for line in advice_lines(rep):
        console.print(f"  {_safe(line)}")
    if rests_on_assumptions(rep):
        console.print(f"[dim]{_safe(ASSUMED_SOURCE)}[/]")
    console.print(f"[dim]model: {model_words(m)}[/]")
    console.print(f"[bold yellow]{rep['notice']}[/]")


def render_cohort_scores(out, *, coverage, as_json) -> None:
    """A scored cohort: a note when written to a file, JSON, or a table on the terminal."""
    import json

    import click
    import numpy as np

    ident, table = out.identity, out.table
    for note in out.notes:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"[cyan]note[/]: {_safe(note)}")
    if out.written:
        Console(stderr=True, soft_wrap=True, highlight=False).print(
            f"scored {len(table):,} cases -> {out.written[0]} (model {ident['name']}, bundle "
            f"{str(ident['bundle_hash'])[:12]}). {ident['notice']}"
        )
        return
    if as_json:
        click.echo(
            json.dumps(
                {"model": ident, "cases": table.replace({np.nan: None}).to_dict(orient="records")},
                indent=1,
                default=str,
            )
        )
        return
    console = _console()
    t = Table(title=f"{len(table)} cases (prior: {table['target_prior'].iloc[0]})", title_justify="left")
    for c in ("case", "ileal", "pancreatic", "other", f"{coverage:.0%} set", "top reason", "next test"):
        t.add_column(c)
    for r in table.itertuples():
        t.add_row(
            _safe(r.case_id),
            f"{r.p_ileal:.2f}",
            f"{r.p_pancreatic:.2f}",
            f"{r.p_other:.2f}",
            r.prediction_set,
            _safe(r.reasons.split("; ")[0]),
            r.next_test,
        )
    console.print(t)
    console.print(
        f"[dim]model: {ident['name']}, bundle {str(ident['bundle_hash'])[:12]}[/]  [bold yellow]{ident['notice']}[/]"
    )
