"""A comparison of models on the terminal (the words and figures come from
:class:`netorigin.training.Comparison`; the same as its JSON and Markdown)."""

from __future__ import annotations

from rich.table import Table

from ._render import _console, _safe

_STYLE = {"better": "green", "worse": "red"}


def render_comparison(result, notices=()) -> None:
    """The models and the setting, each model's own figures, one table per comparison (a
    difference in green where the model is better, red where worse, with its interval), the
    verdicts in words, and the notes."""
    METRICS, METRIC_WORDS, cell = result.METRICS, result.METRIC_WORDS, result.difference_text
    console = _console()
    for n in notices:
        console.print(f"[cyan]note[/]: {_safe(n)}")
    console.print(f"[bold]{len(result.models)} models compared on the same cases[/]: {_safe(result.summary())}")
    for m in result.models:
        bundle = str(m["bundle_hash"])[:12] if m["bundle_hash"] else "not saved"
        level = "sub-sites" if m["level"] == "subsite" else "sites"
        console.print(
            f"  [bold]{m['label']}[/] = {_safe(m['given_as'])}: {_safe(m['name'])} ({_safe(m['kind'])}, "
            f"learnt {level}, bundle {bundle})"
        )
    mix = ", ".join(f"{s} {x:.1%}" for s, x in result.setting["mix"].items())
    console.print(f"setting, for every model: {_safe(result.setting['words'])} ({mix})")
    for notice in dict.fromkeys(m["notice"] for m in result.models):
        console.print(f"[bold yellow]{_safe(notice)}[/]")
    t = Table(title="Each model on all cases", title_justify="left")
    for c in ("model", *(METRIC_WORDS[k] for k in METRICS)):
        t.add_column(c, justify="left" if c == "model" else "right")
    for lab, f in result.own_figures().items():
        t.add_row(lab, *(f"{f[k]:.3f}" for k in METRICS))
    console.print(t)
    for pair, verdict in zip(result.pairs(), result.verdicts()):
        b, a = pair.split(" - ")
        t = Table(title=f"{b} minus {a} (95% paired bootstrap interval over patients)", title_justify="left")
        t.add_column("cases")
        t.add_column("n", justify="right")
        for k in METRICS:
            t.add_column(METRIC_WORDS[k], justify="right")
        for stratum, n, rows in result.groups_of(pair):
            t.add_row(
                stratum,
                f"{n:,}",
                *(f"[{_STYLE[r['verdict']]}]{cell(r)}[/]" if r["verdict"] in _STYLE else cell(r) for r in rows),
            )
        console.print(t)
        console.print(f"[bold]{_safe(verdict)}[/]")
    console.print(
        "[dim]Lower log-loss, Brier score and ECE (top label, 10 bins) are better, and higher accuracy; "
        "green: better than A, red: worse (the interval leaves out 0); intervals are not adjusted for "
        "the number of comparisons.[/]"
    )
    for n in result.notes:
        console.print(f"[dim]note: {_safe(n)}[/]")
