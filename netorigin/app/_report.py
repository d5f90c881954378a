"""A self-contained HTML page for one scored case (for the patient's file)."""

from __future__ import annotations

import functools
import html
import re
import string


def _pct(p: float) -> str:
    from ..inference import percent

    return html.escape(percent(p))


@functools.cache
def template(name: str) -> string.Template:
    """A page template of ``netorigin/app/templates`` ($-placeholders, filled with escaped text)."""
    from importlib.resources import files

    return string.Template(files("netorigin.app").joinpath("templates", name).read_text(encoding="utf-8"))


def page(title: str, body: str) -> str:
    """A whole page around ``body``: the house style, nothing loaded from elsewhere."""
    return template("page.html").substitute(title=html.escape(title), style=template("style.css").template, body=body)


_POINTS = re.compile(r"\(([+-]\d+\.\d)\)$")


def _reason_rows(report: dict) -> str:
    """The reasons as a table: the finding, its points with a bar (left: away, right: toward), and
    the total they add up to."""
    e = html.escape
    reasons = report["reasons"]
    if not reasons:
        said = "reasons are not available for this kind of model" if report.get("explanation") is None else ""
        return f"<tr><td>{e(said or 'no finding moves the answer much')}</td></tr>"
    if not any(_POINTS.search(r["text"]) for r in reasons):  # no points to weigh (a setting that leaves one site)
        return "".join(f"<tr><td>{e(r['text'])}</td></tr>" for r in reasons)
    shown = [float(m.group(1)) if (m := _POINTS.search(r["text"])) else round(r["term"], 1) for r in reasons]
    scale = max(max(abs(v) for v in shown), 0.1)
    rows = []
    for r, v in zip(reasons, shown):
        label = r["text"].rsplit(": ", 1)[0]
        w = f"{abs(v) / scale * 100:.0f}%"
        neg = f"<div class='neg' style='width:{w}'></div>" if v < 0 else ""
        pos = f"<div class='pos' style='width:{w}'></div>" if v > 0 else ""
        rows.append(
            f"<tr><td>{e(label)}</td><td class='half'>{neg}</td><td class='half'>{pos}</td>"
            f"<td class='pts'>{v:+.1f}</td></tr>"
        )
    site = reasons[0]["site"]
    total = round(sum(shown), 1)
    rows.append(
        f"<tr class='total'><td>Total for {e(site)}</td><td></td><td></td><td class='pts'>{total:+.1f}</td></tr>"
    )
    return "".join(rows)


def result_html(report: dict, *, generated: str | None = None) -> str:
    """One scored case as a page section: the answer with bars you can read, the set and what it
    means, the warnings, the evidence that adds up, the next test, the findings recorded, the model.
    The same section is the printable report and the web page's result."""
    import datetime

    from ..contract import field_label
    from ..inference import ADVICE_RULE, advice_lines, model_words, setting_words, subsite_breakdown

    e = html.escape
    when = generated or datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    probs = report["probabilities"]
    top = max(probs, key=probs.get)
    sub = report.get("subsite_probabilities") or {}
    rows = []
    for s, p in probs.items():
        parts = subsite_breakdown(sub.get(s) or {}) if len(sub.get(s) or {}) > 1 else ""
        rows.append(
            f"<tr><td class='site'>{e(s)}</td><td class='pct'>{_pct(p)}</td><td class='track'><div class='bar'>"
            f"<div class='fill' style='width:{p * 100:.1f}%'></div></div></td><td class='sub'>{e(parts)}</td></tr>"
        )
    warns = "".join(f"<li>{e(w)}</li>" for w in report["warnings"])
    warnings = (
        f"<section class='warnings' role='alert'><h2>Read this first</h2><ul>{warns}</ul></section>"
        if warns
        else "<p class='ok small'>No warnings for this case.</p>"
    )
    lines = advice_lines(report)
    advice = (
        f"<p>{e(lines[0])}</p>"
        if not (report.get("next_tests") or report.get("next_panels"))
        else "<ol>"
        + "".join(f"<li>{e(line.split('. ', 1)[1] if line[0].isdigit() else line)}</li>" for line in lines)
        + "</ol>"
    )
    findings = (
        "".join(f"<li>{e(field_label(k))}: {e(str(v))}</li>" for k, v in (report.get("inputs") or {}).items())
        or "<li>nothing recorded</li>"
    )
    return template("result.html").substitute(
        case_id=e(str(report["case_id"] or "(no id)")),
        top_site=e(top),
        headline=e(report["headline"]),
        other_settings=_sentence(report.get("other_settings")),
        scope=e(report["scope"][0].upper() + report["scope"][1:]),
        setting=e(setting_words(report["target_prior"])),
        assumed=(" " + e(report["assumed_by_setting"])) if report.get("assumed_by_setting") else "",
        when=e(when),
        warnings=warnings,
        rows="".join(rows),
        level=f"{report['coverage']:.0%}",
        members=e(" or ".join(report["prediction_set"])),
        set_meaning=e(report.get("set_meaning", "")),
        reasons=_reason_rows(report),
        assumed_source=_assumed_source(report),
        advice=advice,
        advice_rule=e(ADVICE_RULE[0].upper() + ADVICE_RULE[1:]),
        findings=findings,
        model=e(model_words(report["model"])),
        notice=e(report["notice"]),
    )


def _sentence(text) -> str:
    """``text`` as an escaped sentence ("" for none)."""
    return html.escape(text[0].upper() + text[1:] + ".") if text else ""


def _assumed_source(report: dict) -> str:
    """Where the figures of a reason or advised test marked as resting on assumptions come from
    (" ..." when one is marked, else "")."""
    from ..inference import ASSUMED_SOURCE, rests_on_assumptions

    return " " + _sentence(ASSUMED_SOURCE) if rests_on_assumptions(report) else ""


def out_of_scope_html(why: str, table, identity: dict) -> str:
    """The printable page of a case outside the intended use: not scored, why, the findings as
    recorded, the model that refused it and the research notice."""
    from ..contract import FIELDS, RESEARCH_NOTICE, field_label, value_words
    from ..inference import model_words

    e = html.escape
    row = table.iloc[0]
    found = [
        f"<li>{e(field_label(f))}: {e(value_words(f, v))}</li>"
        for f, v in row.items()
        if f in FIELDS and f != "case_id" and v is not None and v == v
    ]
    cid = row.get("case_id") if "case_id" in table.columns else None
    body = (
        f'<section id="result"><h1>Case {e(str(cid or "(no id)"))}: not scored</h1>'
        f"<p><b>Outside netorigin's intended use: {e(why)}.</b> The site model knows the liver metastases "
        "of well-differentiated neuroendocrine tumours only; its probabilities would mean nothing for this case. "
        "A poorly differentiated neuroendocrine carcinoma is worked up as such.</p>"
        f'<h2>Findings recorded</h2><ul class="findings">{"".join(found) or "<li>nothing recorded</li>"}</ul>'
        f'<p class="small">Model: {e(model_words(identity)) if identity else "netorigin"}.</p>'
        f'<p class="notice"><b>{e(identity.get("notice") or RESEARCH_NOTICE)}</b></p></section>'
    )
    return page(f"netorigin: case {cid or ''} not scored", body)


def html_report(report: dict, *, generated: str | None = None) -> str:
    """Everything `netorigin score` shows, as one self-contained HTML page that prints on one A4 or
    Letter page (tested in a browser). No chart: the reasons table shows the evidence, adding up,
    and needs no plotting library (``--plot`` draws the chart)."""
    return page(f"netorigin: case {report['case_id'] or ''}", result_html(report, generated=generated))


def markdown_report(table, identity: dict, *, title: str, target_prior: str, coverage: float, tests=None) -> str:
    """A scored cohort (:func:`~netorigin.inference.score_cohort`) as a Markdown table, headed by
    the model's identity, the research notice and (``tests``) the lab table the next tests were
    chosen from. Cells are HTML-escaped."""
    from ..contract import SITES

    def e(x):  # Markdown cells: no raw HTML, but apostrophes may stay
        return html.escape(str(x), quote=False)

    lines = [
        f"# {e(title)}",
        "",
        f"Model: {e(identity['name'])} ({e(identity['kind'])}), netorigin {e(identity['version'])}, bundle "
        f"{e(str(identity['bundle_hash'])[:12])}; deployment prior: {e(target_prior)}"
        + (f"; next tests from the lab table {e(tests)}" if tests else "")
        + f". {e(identity['notice'])}",
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
