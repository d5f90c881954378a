"""A self-contained HTML page for one scored case (for the patient's file)."""

from __future__ import annotations

import base64
import html


def html_report(report: dict, chart_png: bytes | None = None) -> str:
    """Everything `netorigin score` shows, as one HTML page with the chart embedded."""
    e = html.escape
    m = report["model"]
    rows = "".join(
        f"<tr><td>{e(s)}</td><td>{p:.1%}</td><td><div class='bar' style='width:{max(p * 300, 1):.0f}px'></div></td></tr>"
        for s, p in report["probabilities"].items())
    reasons = "".join(f"<li>{e(r['text'])}</li>" for r in report["reasons"]) or "<li>not available for this model</li>"
    tests = "".join(
        f"<li><b>{e(t['label'])}</b>: expected information gain {t['expected_information_gain_bits']:.2f} bits; "
        f"{t['chance_top_site_changes']:.0%} chance it changes the top site</li>" for t in report["next_tests"]) \
        or "<li>no test left that would change the answer</li>"
    warns = "".join(f"<li>{e(w)}</li>" for w in report["warnings"]) or "<li>none</li>"
    chart = (f"<img alt='explanation chart' src='data:image/png;base64,{base64.b64encode(chart_png).decode()}'>"
             if chart_png else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>netorigin: case {e(str(report['case_id'] or ''))}</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto;color:#222}}
.bar{{height:12px;background:#3a6ea5}} td{{padding:2px 8px}} .notice{{background:#fff3cd;padding:.6em;border:1px solid #e0c36b}}</style>
</head><body>
<p class="notice"><b>{e(report['notice'])}</b></p>
<h1>Primary site of origin: case {e(str(report['case_id'] or '(no id)'))}</h1>
<h2>Probabilities (deployment prior: {e(report['target_prior'])})</h2>
<table>{rows}</table>
<p><b>{report['coverage']:.0%} prediction set:</b> {e(' or '.join(report['prediction_set']))}</p>
<h2>Why</h2><ul>{reasons}</ul>{chart}
<h2>Next test to order</h2><ol>{tests}</ol>
<h2>Warnings</h2><ul>{warns}</ul>
<h2>Model</h2><p>{e(m['name'])} ({e(m['kind'])}), netorigin {e(m['version'])}, bundle {e(str(m['bundle_hash']))};
trained on {e(str(m['training_data']))}.</p>
</body></html>
"""


def markdown_report(table, identity: dict, *, title: str, target_prior: str, coverage: float) -> str:
    """A scored cohort (:func:`~netorigin.inference.score_cohort`) as a Markdown table, headed by
    the model's identity and the research notice. Cells are HTML-escaped."""
    from ..contract import SITES

    e = html.escape
    lines = [f"# {e(title)}", "",
             f"Model: {e(identity['name'])} ({e(identity['kind'])}), netorigin {e(identity['version'])}, bundle "
             f"{e(str(identity['bundle_hash'])[:12])}; deployment prior: {e(target_prior)}. {e(identity['notice'])}", "",
             "| case | " + " | ".join(f"p({s})" for s in SITES) + f" | {coverage:.0%} set | top reasons | next test |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        cells = [str(r.case_id), *(f"{getattr(r, f'p_{s}'):.2f}" for s in SITES), r.prediction_set, r.reasons,
                 r.next_test]
        lines.append("| " + " | ".join(e(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
