"""Terminal rendering for the CLI (rich). The library never prints; only this module does."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .._fields import FIELDS

_NOTICE_STYLE = {"extra_columns": "cyan", "derived": "cyan", "inconsistent": "yellow",
                 "intended_use": "bold red"}


def _console() -> Console:
    import sys

    # wide enough for tables when the output goes to a file or a pipe
    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def _g(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def render_notices(console: Console, notices) -> None:
    for n in notices:
        label = {"extra_columns": "note", "derived": "note"}.get(n.kind, "warning")
        console.print(f"[{_NOTICE_STYLE.get(n.kind, 'yellow')}]{label}[/]: {n.message}")


def render_validation(path, validated) -> None:
    console = _console()
    n_fields = len(validated.contract_columns)
    kind = "case" if validated.n_cases == 1 else "cases"
    console.print(f"[green]OK[/]: {path}: {validated.n_cases:,} {kind}, {n_fields} contract "
                  f"field(s), {len(validated.extra_columns)} other column(s)")
    render_notices(console, validated.notices)


def render_description(path, validated, summary) -> None:
    console = _console()
    n = summary["n"]
    console.print(f"[bold]{path}[/]: {n} cases")
    render_notices(console, [x for x in validated.notices if x.kind != "extra_columns"])

    t = Table(title="Numeric fields", title_justify="left")
    for c in ("field", "n", "median (range)", "mean", "missing"):
        t.add_column(c)
    for name, s in summary["numeric"].items():
        rng = f"{_g(s['median'])} ({_g(s['min'])}-{_g(s['max'])})" if s["n"] else "-"
        t.add_row(name, str(s["n"]), rng, _g(s["mean"]), str(s["missing"]))
    console.print(t)

    t = Table(title="Categorical fields", title_justify="left")
    for c in ("field", "counts", "missing"):
        t.add_column(c)
    for name, s in summary["categorical"].items():
        t.add_row(name, ", ".join(f"{v} {k}" for v, k in s["counts"].items()), str(s["missing"]))
    console.print(t)

    if summary["markers"]:
        t = Table(title="Markers (of cases tested)", title_justify="left")
        for c in ("marker", "positive", "negative", "equivocal", "not done"):
            t.add_column(c)
        for name, s in summary["markers"].items():
            neg_key = "retained" if name == "ihc_daxx_atrx" else "negative"
            pos_word = "lost" if name == "ihc_daxx_atrx" else "positive"
            tested = s["tested"]
            t.add_row(name, f"{s['positive']} of {tested}" + (f" ({pos_word})" if pos_word != "positive" else ""),
                      f"{s.get(neg_key, 0)} of {tested}", f"{s.get('equivocal', 0)} of {tested}",
                      str(s["not_done"]))
        console.print(t)

    if summary["other_numeric"] or summary["other_categorical"]:
        t = Table(title="Other columns (not in the contract, e.g. outcomes)", title_justify="left")
        for c in ("column", "summary", "missing"):
            t.add_column(c)
        for name, s in summary["other_numeric"].items():
            t.add_row(name, f"median {_g(s['median'])} ({_g(s['min'])}-{_g(s['max'])}), "
                      f"mean {_g(s['mean'])}", str(s["missing"]))
        for name, s in summary["other_categorical"].items():
            t.add_row(name, ", ".join(f"{v}: {k}" for v, k in s["counts"].items()), str(s["missing"]))
        console.print(t)
    absent = [f for f in FIELDS if f not in validated.table.columns and f != "case_id"]
    if absent:
        console.print(f"[dim]not recorded in this cohort: {', '.join(absent)}[/]")


def render_synth(path, scenario, seed, cohort) -> None:
    console = _console()
    share = cohort["primary_site"].value_counts(normalize=True)
    mix = ", ".join(f"{k} {share.get(k, 0):.1%}" for k in ("ileal", "pancreatic", "other"))
    console.print(f"wrote {len(cohort):,} synthetic cases to {path} (scenario {scenario}, seed {seed}): {mix}")
    console.print("[dim]Synthetic data: every parameter and its source is in data/synthetic/parameters.csv.[/]")


def render_check(scenario, table) -> None:
    console = _console()
    t = Table(title=f"synthetic parameters vs generated data (scenario {scenario})", title_justify="left")
    for c in ("parameter", "site", "file", "measured", "n", "diff", "ok"):
        t.add_column(c, justify="right" if c in ("file", "measured", "n", "diff") else "left")
    for r in table.itertuples():
        t.add_row(r.parameter, r.site, f"{r.value:.4f}", f"{r.measured:.4f}", f"{r.n:,}",
                  f"{r.difference:+.4f}", "[green]yes[/]" if r.ok else "[red]NO[/]")
    console.print(t)
    rates = table[table["parameter"].str.startswith("rate:") | table["parameter"].isin(
        ["phenotype", "site share", "sub-site share"])]
    console.print(f"{int(table['ok'].sum())} of {len(table)} parameters within tolerance "
                  f"(rates and shares: 1 percentage point; largest rate difference "
                  f"{rates['difference'].abs().max() * 100:.2f} points; continuous: 2% or half a rounding step)")
