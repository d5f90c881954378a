"""A self-contained HTML page for one scored case (for the patient's file)."""

from __future__ import annotations

import base64
import html


def _pct(p: float) -> str:
    from ..inference import percent

    return html.escape(percent(p))


def html_report(report: dict, chart_png: bytes | None = None, *, generated: str | None = None) -> str:
    """Everything `netorigin score` shows, as one self-contained HTML page that fits a printed
    page: the notice and warnings first, then probabilities (with the sub-site breakdown), the
    set and what it means, reasons, the next test, the inputs as received, the model, the date."""
    import datetime

    e = html.escape
    m = report["model"]
    when = generated or datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    sub = report.get("subsite_probabilities") or {}
    rows = ""
    for s, p in report["probabilities"].items():
        parts = sub.get(s) or {}
        detail = (
            ", ".join(f"{e(k)} {_pct(v)}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1])[:4] if v >= 0.005)
            if len(parts) > 1
            else ""
        )
        rows += (
            f"<tr><td>{e(s)}</td><td class='num'>{_pct(p)}</td>"
            f"<td><div class='bar' style='width:{max(p * 100, 0.5):.1f}%'>"
            f"</div></td><td class='detail'>{detail}</td></tr>"
        )
    reasons = "".join(f"<li>{e(r['text'])}</li>" for r in report["reasons"]) or (
        "<li>not available for this kind of model</li>"
        if report.get("explanation") is None
        else "<li>no single field moves the answer much</li>"
    )
    from ..inference import advice_text

    tests = (
        "".join(f"<li>{e(advice_text(t))}</li>" for t in report["next_tests"])
        or "<li>no test left that would change the answer</li>"
    )
    tests += "".join(f"<li>panel: {e(advice_text(t))}</li>" for t in report.get("next_panels") or [])
    warns = "".join(f"<li>{e(w)}</li>" for w in report["warnings"])
    warn_block = (
        f"<section class='warnings'><h2>Warnings</h2><ul>{warns}</ul></section>"
        if warns
        else "<p class='ok'>No warnings for this case.</p>"
    )
    inputs = (
        "".join(f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in (report.get("inputs") or {}).items())
        or "<tr><td colspan='2'>nothing recorded</td></tr>"
    )
    chart = (
        f"<img alt='waterfall chart of the reasons' src='data:image/png;base64,{base64.b64encode(chart_png).decode()}'>"
        if chart_png
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>netorigin: case {e(str(report["case_id"] or ""))}</title>
<style>
body{{font-family:sans-serif;max-width:48em;margin:1.5em auto;color:#222;line-height:1.35}}
h1{{font-size:1.35em}} h2{{font-size:1.1em;margin-bottom:.3em}}
.notice{{background:#fff3cd;padding:.6em;border:1px solid #e0c36b}}
.warnings{{background:#fdecea;border:1px solid #e0a0a0;padding:.2em .8em}} .ok{{color:#2e7d32}}
table{{border-collapse:collapse;width:100%}} td{{padding:2px 6px;vertical-align:top}}
.num{{text-align:right;width:4.5em}}
.bar{{height:11px;background:#3a6ea5}} .detail{{font-size:.85em;color:#555}}
img{{max-width:100%;height:auto}} .small{{font-size:.85em;color:#444}}
@media print{{body{{margin:0;max-width:none;font-size:10pt}} img{{max-height:9cm}}
section,table{{page-break-inside:avoid}}}}
</style>
</head><body>
<p class="notice"><b>{e(report["notice"])}</b></p>
<h1>Case {e(str(report["case_id"] or "(no id)"))}: {e(report["scope"])}</h1>
<p class="small">Generated {e(when)} by {e(m["name"])} ({e(m["kind"])}), netorigin {e(m["version"])},
bundle {e(str(m["bundle_hash"]))}. Deployment prior: {e(report["target_prior"])}.</p>
{warn_block}
<h2>Probabilities</h2>
<table>{rows}</table>
<p><b>{report["coverage"]:.0%} prediction set:</b> {e(" or ".join(report["prediction_set"]))}.
{e(report.get("set_meaning", ""))}</p>
<h2>Why</h2><ul>{reasons}</ul>{chart}
<p class="small">Each reason is a term on the scale of the probabilities shown (the log of a site's probability over the
geometric mean of the three): the model's baseline, its calibration, the deployment prior and the fields' terms add
up to it exactly. Tests not done are never evidence; when their absence moves the answer it is said once.</p>
<h2>Next test to order</h2><ol>{tests}</ol>
<h2>Inputs as received</h2><table>{inputs}</table>
<h2>Model</h2><p class="small">{e(m["name"])} ({e(m["kind"])}), trained on {e(str(m["training_data"]))}; validated on
synthetic cases only (see the model card). Nothing about this case is stored by netorigin.</p>
<p class="notice"><b>{e(report["notice"])}</b></p>
</body></html>
"""


def markdown_report(table, identity: dict, *, title: str, target_prior: str, coverage: float) -> str:
    """A scored cohort (:func:`~netorigin.inference.score_cohort`) as a Markdown table, headed by
    the model's identity and the research notice. Cells are HTML-escaped."""
    from ..contract import SITES

    def e(x):  # Markdown cells: no raw HTML, but apostrophes may stay
        return html.escape(str(x), quote=False)

    lines = [
        f"# {e(title)}",
        "",
        f"Model: {e(identity['name'])} ({e(identity['kind'])}), netorigin {e(identity['version'])}, bundle "
        f"{e(str(identity['bundle_hash'])[:12])}; deployment prior: {e(target_prior)}. {e(identity['notice'])}",
        "",
        "| case | " + " | ".join(f"p({s})" for s in SITES) + f" | {coverage:.0%} set | top reasons | next test |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        cells = [
            str(r.case_id),
            *(f"{getattr(r, f'p_{s}'):.2f}" for s in SITES),
            r.prediction_set,
            r.reasons,
            r.next_test,
        ]
        lines.append("| " + " | ".join(e(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
