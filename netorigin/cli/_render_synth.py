"""Terminal rendering of ``netorigin synth``: the cohort written, the parameter check, the setting
mix derivation."""

from __future__ import annotations

import click
from rich.table import Table

from ._render import _console


def render_synth(path, scenario, seed, cohort, world=None, structure=None) -> None:
    console = _console()
    share = cohort["primary_site"].value_counts(normalize=True)
    mix = ", ".join(f"{k} {share.get(k, 0):.1%}" for k in ("ileal", "pancreatic", "other"))
    shape = f", {structure['structure']} of strength {structure['strength']:.2f}" if structure else ""
    where = "" if world is None else f", world {world}{shape}"
    console.print(f"wrote {len(cohort):,} synthetic cases to {path} (scenario {scenario}, seed {seed}{where}): {mix}")
    if world is None:
        console.print("[dim]Synthetic data: every parameter and its source is in data/synthetic/parameters.csv.[/]")
    else:
        console.print(
            f"[dim]Synthetic data from world {world}: every parameter drawn from its uncertainty around "
            "data/synthetic/parameters.csv (n_eff, n_eff_rule); its exact posterior: "
            f"bayes_posterior(cohort, world={world}"
            + (f", structure={structure['structure']!r}" if structure else "")
            + ").[/]"
        )


def render_check(scenario, table) -> None:
    console = _console()
    t = Table(title=f"synthetic parameters vs generated data (scenario {scenario})", title_justify="left")
    for c in ("parameter", "site", "file", "measured", "n", "diff", "z", "ok"):
        t.add_column(c, justify="right" if c in ("file", "measured", "n", "diff", "z") else "left")
    for r in table.itertuples():
        t.add_row(
            r.parameter,
            r.site,
            f"{r.value:.4f}",
            f"{r.measured:.4f}",
            f"{r.n:,}",
            f"{r.difference:+.4f}",
            f"{r.z:+.1f}",
            "[green]yes[/]" if r.ok else "[red]NO[/]",
        )
    console.print(t)
    console.print(
        f"{int(table['ok'].sum())} of {len(table)} parameters within 4.5 standard errors of their "
        f"sampling error (or the rounding floor); largest |z| {table['z'].abs().max():.1f}"
    )
    bad = table[~table["ok"]]
    for r in bad.itertuples():
        console.print(
            f"[red]outside[/]: {r.parameter} ({r.site}): file {r.value:.4f}, measured {r.measured:.4f} "
            f"on {r.n:,} (z = {r.z:+.1f})"
        )


def render_setting_mix(setting: str, d: dict, interval: dict, worlds: int) -> None:
    """The mix a setting's assumptions imply, as Markdown tables (quoted in docs/synthetic.md)."""
    from ..contract import SITES, SUBSITES, field_label

    echo = click.echo
    names = [field_label(f) for f in d["assumed"]]
    echo(f"The {setting} setting assumes negative: {', '.join(names)}.")
    echo(
        "Its mix derived from them: the liver-met-archive mix x P(every assumed procedure negative | sub-site), "
        "normalised."
    )
    echo("")
    echo(
        "| sub-site | share of the archive | P(every assumed procedure negative) | derived, within its site | "
        f"{setting}, within its site |"
    )
    echo("|---|---|---|---|---|")
    for s in SITES:
        for x in SUBSITES[s]:
            echo(
                f"| {x} | {d['base'][x]:.1%} | {d['negative'][x]:.3f} | {d['subsites'][x]:.1%} | "
                f"{d['stated_subsites'][x]:.1%} |"
            )
    echo("")
    echo(f"| site | archive | derived | 95% interval over {worlds} drawn worlds | {setting} (stated) | stated inside |")
    echo("|---|---|---|---|---|---|")
    for s in SITES:
        lo, hi, stated = interval[s]["low"], interval[s]["high"], d["stated"][s]
        inside = "yes" if lo <= stated <= hi else "no"
        echo(
            f"| {s} | {d['base_sites'][s]:.1%} | {d['sites'][s]:.1%} | {lo:.1%} to {hi:.1%} | {stated:.1%} | {inside} |"
        )
    echo("")
    echo(
        "Interval: every procedure figure drawn from its n_eff (draw_world), the archive mix from its 184 pooled "
        "cases (35 of them other); the stated mix is the literature's synthesis (no n_eff)."
    )
