"""Terminal rendering for the CLI (rich). The library never prints; only this module does."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..contract import FIELDS, positive_value
from ..inference import percent

_NOTICE_STYLE = {
    "extra_columns": "cyan",
    "derived": "cyan",
    "inconsistent": "yellow",
    "intended_use": "bold red",
    "unmapped_field": "bold red",
    "out_of_scope": "bold red",
}


def _safe(text) -> str:
    """Text for the terminal: control characters (escape sequences) shown as escapes, and rich's
    markup brackets escaped, so that no input can drive the terminal."""
    from rich.markup import escape

    s = str(text)
    s = "".join(c if (ord(c) >= 32 and ord(c) != 127) else repr(c)[1:-1] for c in s)
    return escape(s)


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
        console.print(f"[{_NOTICE_STYLE.get(n.kind, 'yellow')}]{label}[/]: {_safe(n.message)}")


def render_validation(path, validated, verbose: bool = False) -> None:
    """OK with counts, then one line per kind of notice (its count and first rows); with
    ``verbose``, every row each notice concerns."""
    console = _console()
    n_fields = len(validated.contract_columns)
    kind = "case" if validated.n_cases == 1 else "cases"
    console.print(
        f"[green]OK[/]: {path}: {validated.n_cases:,} {kind}, {n_fields} contract "
        f"field(s), {len(validated.extra_columns)} other column(s)"
    )
    render_notices(console, validated.notices)
    if verbose:
        ids = validated.table["case_id"].astype(str).tolist() if "case_id" in validated.table.columns else None
        for n in validated.notices:
            if len(n.rows) > 5:
                console.print(
                    f"  all {len(n.rows):,} rows of '{_safe((n.case_text or n.message)[:60])}...': "
                    + ", ".join(f"{r}" + (f" ({_safe(ids[r - 1])})" if ids else "") for r in n.rows)
                )


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
        console.print(_markers_table(summary["markers"]))
    if summary.get("procedures"):
        t = Table(title="Procedures that looked for the primary (of those done)", title_justify="left")
        for c in ("procedure", "negative", "lesion seen", "confirmed", "not done"):
            t.add_column(c)
        for name, s in summary["procedures"].items():
            done = s["done"]
            t.add_row(
                name,
                f"{s['negative']} of {done}",
                f"{s['seen']} of {done}",
                f"{s['confirmed']} of {done}",
                str(s["not_done"]),
            )
        console.print(t)
    if summary["other_numeric"] or summary["other_categorical"]:
        console.print(_other_columns_table(summary))
    absent = [f for f in FIELDS if f not in validated.table.columns and f != "case_id"]
    if absent:
        console.print(f"[dim]not recorded in this cohort: {', '.join(absent)}[/]")


def _markers_table(markers: dict) -> Table:
    t = Table(title="Markers (of cases tested)", title_justify="left")
    for c in ("marker", "positive", "negative", "equivocal", "not done"):
        t.add_column(c)
    for name, s in markers.items():
        pos_word = positive_value(name)
        neg_key = next(v for v in FIELDS[name].values if v not in (pos_word, "equivocal"))
        tested = s["tested"]
        t.add_row(
            name,
            f"{s['positive']} of {tested}" + (f" ({pos_word})" if pos_word != "positive" else ""),
            f"{s.get(neg_key, 0)} of {tested}",
            f"{s.get('equivocal', 0)} of {tested}",
            str(s["not_done"]),
        )
    return t


def _other_columns_table(summary: dict) -> Table:
    t = Table(title="Other columns (not in the contract, e.g. outcomes)", title_justify="left")
    for c in ("column", "summary", "missing"):
        t.add_column(c)
    for name, s in summary["other_numeric"].items():
        t.add_row(
            name, f"median {_g(s['median'])} ({_g(s['min'])}-{_g(s['max'])}), mean {_g(s['mean'])}", str(s["missing"])
        )
    for name, s in summary["other_categorical"].items():
        t.add_row(name, ", ".join(f"{v}: {k}" for v, k in s["counts"].items()), str(s["missing"]))
    return t


def _fmt_ci(m, ci, k):
    lo, hi = ci.get(k, [float("nan")] * 2)
    return f"{m[k]:.3f} ({lo:.3f}-{hi:.3f})"


def render_evaluation(summary) -> None:
    console = _console()
    m = summary["metrics"]
    c = m["calibrated"]
    ident = summary.get("model")
    if ident:
        console.print(
            f"model: {ident['name']} ({ident['kind']}), bundle {str(ident['bundle_hash'])[:12]}; {ident['notice']}"
        )
    console.print(f"{m['n']:,} labelled cases ({', '.join(f'{s} {n:,}' for s, n in m['site_counts'].items())})")
    mix = m.get("target_prior_mix")
    console.print(
        f"deployment prior: {m['target_prior']}, {m.get('target_prior_words', '')}"
        + (" (" + ", ".join(f"{s} {percent(p)}" for s, p in mix.items()) + ")" if mix else "")
    )
    if c.get("intervals_note"):
        console.print(f"[bold yellow]warning[/]: {c['intervals_note']}")
    need = m.get("needs_more_sites") or {}
    if need:
        console.print(
            f"cases of one site only ({', '.join(m.get('sites_present', [])) or 'none'}): shown are its recall "
            "(the accuracy), log-loss, Brier score, ECE, the coverage of its sets and calibration-in-the-large; "
            + "; ".join(f"{k}: {why}" for k, why in need.items())
        )
    console.print(_metrics_table(m))
    sub = m.get("conformal", {}).get("0.90", {}).get("coverage_by_subsite")
    if sub:
        n = m["conformal"]["0.90"]["n_by_subsite"]
        console.print("90% set coverage by sub-site: " + ", ".join(f"{k} {v:.2f} (n={n[k]:,})" for k, v in sub.items()))
    present = m.get("sites_present", list(c["recall"]))
    console.print(
        "recall: "
        + ", ".join(f"{k} {v:.3f}" for k, v in c["recall"].items() if k in present)
        + (
            ""
            if "precision" in need
            else "; precision: " + ", ".join(f"{k} {v:.3f}" for k, v in c["precision"].items())
        )
    )
    if m.get("calibration_in_the_large"):
        console.print(
            "calibration-in-the-large (mean probability given / share of cases): "
            + ", ".join(
                f"{k} {v['mean_predicted']:.3f} / {v['observed']:.3f}" for k, v in m["calibration_in_the_large"].items()
            )
        )
    console.print(
        "risk-coverage: " + ", ".join(f"{r['coverage']:.0%}: {r['accuracy']:.3f}" for r in m["risk_coverage"])
    )
    if m.get("by_information"):
        console.print(_information_table(m["by_information"]))
    _robustness_lines(console, m.get("robustness"))
    _structure_line(console, m.get("structure"))


def _robustness_lines(console, r) -> None:
    """Accuracy with results masked at random and under shallower work-ups (evaluation)."""
    if not r:
        return
    console.print(
        "masked at random: "
        + ", ".join(f"{x['fraction_masked']:.0%}: {x['accuracy']:.3f}" for x in r["masked_at_random"])
    )
    console.print(
        "shallower work-up: " + ", ".join(f"{x['work_up']}: {x['accuracy']:.3f}" for x in r["shallower_work_up"])
    )


def _structure_line(console, structure) -> None:
    """The structure check's verdict and its worst pairs (training and evaluation)."""
    if structure and structure.get("checked"):
        console.print(f"structure check: {_safe(structure['verdict'])}")
        for text in structure.get("pairs", []):
            console.print(f"  - {_safe(text)}")


def _metrics_table(m: dict) -> Table:
    """The headline figures (with their 95% intervals when bootstrapped), set coverage and size
    per level and site, and the gap to the exact posterior when it was computed."""
    c, ci = m["calibrated"], m["calibrated"].get("intervals_95", {})
    t = Table(title="Metrics (95% bootstrap interval)" if ci else "Metrics", title_justify="left")
    t.add_column("metric")
    t.add_column("value")
    need = m.get("needs_more_sites") or {}
    for k in ("accuracy", "balanced_accuracy", "macro_auc", "log_loss", "brier"):
        if k in need:
            t.add_row(k, "needs cases of two sites")
        else:
            t.add_row(k, _fmt_ci(c, ci, k) if ci else f"{c[k]:.3f}")
    if "ece" in need:
        t.add_row("ece", "needs cases of two sites")
    else:
        if ci and "ece_debiased" in c:  # the binned ECE is biased up: its interval is the bias-corrected figure's
            lo, hi = ci["ece"]
            t.add_row("ece, bias-corrected", f"{c['ece_debiased']:.3f} ({lo:.3f}-{hi:.3f})")
        t.add_row(
            "ece (binned, biased up): calibrated / before calibration",
            f"{c['ece']:.3f} / {m['uncalibrated']['ece']:.3f}",
        )
    for lvl, s in m["conformal"].items():
        t.add_row(
            f"{float(lvl):.0%} set coverage / size",
            f"{s['coverage']:.3f} / {s['mean_set_size']:.2f} ("
            + ", ".join(f"{k} {v:.2f}" for k, v in s["coverage_by_site"].items() if v == v)  # sites with cases
            + ")",
        )
    if "bayes" in m:
        t.add_row("Bayes ceiling accuracy / log-loss", f"{m['bayes']['accuracy']:.3f} / {m['bayes']['log_loss']:.3f}")
        t.add_row(
            "gap to Bayes (accuracy / log-loss)",
            f"{m['gap_to_bayes']['accuracy']:+.4f} / {m['gap_to_bayes']['log_loss']:+.4f}",
        )
    return t


def _information_table(rows: list) -> Table:
    """Figures by the number of informative fields recorded (the gap to the exact posterior when
    it was computed)."""
    t = Table(title="By informative fields recorded", title_justify="left")
    bayes = "log_loss_bayes" in rows[0]
    for col in ("fields", "n", "accuracy", "log-loss", "ECE") + (("exact log-loss", "gap (95% CI)") if bayes else ()):
        t.add_column(col)
    for r in rows:
        t.add_row(
            r["bin"],
            f"{r['n']:,}",
            f"{r['accuracy']:.3f}",
            f"{r['log_loss']:.3f}",
            f"{r['ece']:.3f}",
            *(
                (
                    f"{r['log_loss_bayes']:.3f}",
                    f"{r['log_loss_gap']:+.3f} ({r['log_loss_gap_ci'][0]:+.3f} to {r['log_loss_gap_ci'][1]:+.3f})",
                )
                if bayes
                else ()
            ),
        )
    return t


def render_run(summary) -> None:
    """The MLflow run an evaluation was recorded in (nothing when it was not tracked)."""
    tr = summary.get("tracking")
    if tr:
        _console().print(f"MLflow run {tr['run_id']}")


def render_metrics(summary, notices=()) -> None:
    console = _console()
    render_notices(console, list(notices))
    for n in summary.get("notices", []):
        console.print(f"[cyan]note[/]: {n}")
    result = summary["result"]
    test = result.metrics.get("test")
    if test:
        render_evaluation({"metrics": test, "model": result.model.identity_.as_dict()})
    if result.metrics.get("cv", {}).get("mean"):
        cv = result.metrics["cv"]
        cvm = cv["mean"]
        what = (
            f"cross-validation (mean of {len(cv['folds'])} folds, uncalibrated)"
            if len(cv["folds"]) > 1
            else f"held-out calibration cases ({cv.get('design', 'hold-out')}, uncalibrated)"
        )
        console.print(f"{what}: accuracy {cvm['accuracy']:.3f}, log-loss {cvm['log_loss']:.3f}")
    if result.metrics.get("calibration"):  # which calibration shipped, why, and how it did on the test cases
        from ..training import calibration_summary

        console.print(f"calibration shipped: {_safe(calibration_summary(result.metrics['calibration']))}")
    _structure_line(console, result.metrics.get("checks", {}).get("structure"))
    if "split" in result.metrics:
        sp = result.metrics["split"]
        console.print(
            f"dask split: {sp['train']:,} training, {sp['calibration']:,} calibration, {sp['test']:,} test cases"
        )
    for w in summary.get("warnings", []):  # last, where they are read: what training found wrong
        console.print(f"[bold red]warning[/]: {_safe(w)}")
    if "bundle" in summary:
        console.print(f"bundle: {summary['bundle']} (sha256 {summary['bundle_hash'][:12]})")
    tr = summary.get("tracking")
    if tr:
        reg = tr.get("registered")
        console.print(
            f"MLflow run {tr['run_id']}"
            + (f"; registered {reg['name']} v{reg['version']} @{reg['alias']}" if reg else "")
        )


def render_pipeline(config, summary) -> None:
    console = _console()
    if "result" in summary:
        render_metrics(summary)
    if "markdown" in summary:
        console.print(_safe(summary["markdown"]))  # as written: a bracket is text, not markup
    tr = summary.get("tracking")
    if tr and "result" not in summary:
        console.print(f"MLflow run {tr['run_id']}")
