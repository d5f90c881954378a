"""The result of :func:`~netorigin.training.compare_models`: its table, its verdicts in words,
and the same as a dict (JSON, MLflow) or Markdown."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRICS = ("log_loss", "accuracy", "brier", "ece")
METRIC_WORDS = {"log_loss": "log-loss", "accuracy": "accuracy", "brier": "Brier score", "ece": "ECE"}
HIGHER_IS_BETTER = frozenset({"accuracy"})
COLUMNS = (
    "comparison",
    "model",
    "baseline",
    "group",
    "stratum",
    "n",
    "metric",
    "baseline_value",
    "model_value",
    "difference",
    "ci_low",
    "ci_high",
    "verdict",
)


def _and(parts: list[str], last: str = "and") -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {last} " + parts[-1]


def _gain(r: dict) -> tuple[float, float, float]:
    """(how much the model is better than the baseline, and its interval): the difference, turned
    so that a gain is positive whichever way the metric points."""
    if r["metric"] in HIGHER_IS_BETTER:
        return r["difference"], r["ci_low"], r["ci_high"]
    return -r["difference"], -r["ci_high"], -r["ci_low"]


def verdict_words(rows: list[dict]) -> str:
    """One sentence for one pair from its rows on all cases (one per metric).

    >>> r = dict(model="B", baseline="A", n=500, difference=-0.031, ci_low=-0.044, ci_high=-0.018)
    >>> verdict_words([{**r, "metric": "log_loss", "verdict": "better"},
    ...                {**r, "metric": "accuracy", "difference": 0.004, "ci_low": -0.011, "ci_high": 0.019,
    ...                 "verdict": "no clear difference"}])
    'B is better than A on log-loss by 0.031 (0.018 to 0.044); no clear difference in accuracy (-0.011 to +0.019).'
    """
    b, a = rows[0]["model"], rows[0]["baseline"]
    if all(r["verdict"] == "no interval" for r in rows):
        diffs = ", ".join(f"{METRIC_WORDS[r['metric']]} {r['difference']:+.3f}" for r in rows)
        return f"{b} minus {a}: {diffs}; no interval, so no verdict."
    better = [r for r in rows if r["verdict"] == "better"]
    worse = [r for r in rows if r["verdict"] == "worse"]
    unclear = [r for r in rows if r["verdict"] == "no clear difference"]

    def by(r, worse: bool = False):
        g, lo, hi = _gain(r)
        g, lo, hi = (-g, -hi, -lo) if worse else (g, lo, hi)
        return f"{METRIC_WORDS[r['metric']]} by {g:.3f} ({lo:.3f} to {hi:.3f})"

    parts = []
    if better:
        parts.append(f"{b} is better than {a} on " + _and([by(r) for r in better]))
    if worse:
        parts.append(
            ("worse on " if better else f"{b} is worse than {a} on ") + _and([by(r, worse=True) for r in worse])
        )
    if unclear:
        spans = [f"{METRIC_WORDS[r['metric']]} ({r['ci_low']:+.3f} to {r['ci_high']:+.3f})" for r in unclear]
        lead = "no clear difference in " if parts else f"No clear difference between {b} and {a} in "
        parts.append(lead + _and(spans, "or" if not parts else "and"))
    return "; ".join(parts) + "."


@dataclass(frozen=True)
class Comparison:
    """Models compared on the same labelled cases (what :func:`compare_models` returns).

    Attributes
    ----------
    models : tuple of dict
        Each model's label (A, B, ...), how it was given, and its identity (name, kind, level,
        bundle hash, training data, research notice).
    setting : dict
        The deployment prior every model scored under: its name, in words, and its site mix.
    n, n_patients : int
        Cases compared, and patients (the bootstrap's unit).
    site_counts : dict
        Cases of each site.
    n_bootstrap : int
        Resamples drawn (0: no intervals).
    random_state : int
        Seed of the bootstrap.
    rows : tuple of dict
        One per comparison (B - A, ...), group of cases and metric (:data:`COLUMNS`).
    notes : tuple of str
        What the reader must know (levels, sub-sites a prior names that a model never saw).
    """

    METRICS = METRICS  # the metrics compared, in the order of every table
    METRIC_WORDS = METRIC_WORDS

    models: tuple
    setting: dict
    n: int
    n_patients: int
    site_counts: dict
    n_bootstrap: int
    random_state: object
    rows: tuple
    notes: tuple

    def table(self):
        """Every figure as a table (pandas DataFrame): one row per comparison, group of cases
        and metric, with both models' figures, the difference, its 95% interval and the verdict."""
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=list(COLUMNS))

    def pairs(self) -> list[str]:
        """The comparisons in order: ``["B - A", "C - A", ...]``."""
        return list(dict.fromkeys(r["comparison"] for r in self.rows))

    def rows_of(self, comparison: str, stratum: str | None = None) -> list[dict]:
        """The rows of one comparison (of one group of cases, when given)."""
        return [r for r in self.rows if r["comparison"] == comparison and stratum in (None, r["stratum"])]

    def groups_of(self, comparison: str) -> list[tuple[str, int, list[dict]]]:
        """(group of cases in words, its number of cases, its rows in :attr:`METRICS`' order) of
        one comparison: all cases, each site, each number of informative fields recorded."""
        return [(name, rows[0]["n"], rows) for name, rows in _by_stratum(self.rows_of(comparison))]

    @staticmethod
    def difference_text(row: dict) -> str:
        """A row's difference and its interval ("-0.031 (-0.044 to -0.018)"; the difference
        alone when it has no interval)."""
        return cell(row)

    def verdicts(self) -> list[str]:
        """One sentence per comparison, on all cases: where the interval leaves out no difference,
        better or worse by how much; elsewhere, no clear difference."""
        return [verdict_words(self.rows_of(p, "all cases")) for p in self.pairs()]

    def own_figures(self) -> dict:
        """Each model's own figures on all cases: label -> metric -> value."""
        out = {}
        for r in self.rows:
            if r["stratum"] == "all cases":
                out.setdefault(r["baseline"], {})[r["metric"]] = r["baseline_value"]
                out.setdefault(r["model"], {})[r["metric"]] = r["model_value"]
        return out

    def to_dict(self) -> dict:
        """Everything as plain data (JSON): models, setting, counts, each model's figures,
        every row and the verdicts. NaN (no interval) is None."""
        clean = [
            {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()} for r in self.rows
        ]
        return {
            "models": list(self.models),
            "setting": self.setting,
            "n": self.n,
            "n_patients": self.n_patients,
            "site_counts": self.site_counts,
            "n_bootstrap": self.n_bootstrap,
            "random_state": self.random_state,
            "figures": self.own_figures(),
            "rows": clean,
            "verdicts": self.verdicts(),
            "notes": list(self.notes),
        }

    def metrics(self) -> dict:
        """The figures as nested numbers for tracking: ``A.log_loss`` (each model's own on all
        cases) and ``B-A.<group of cases>.<metric>.difference`` (and ``ci_low``, ``ci_high``)."""
        out = {lab: dict(m) for lab, m in self.own_figures().items()}
        for r in self.rows:
            key = r["comparison"].replace(" ", "")
            where = "all" if r["stratum"] == "all cases" else f"{r['group'].split()[0]}_{r['stratum']}"
            out.setdefault(key, {}).setdefault(where.replace(" ", "_"), {})[r["metric"]] = {
                "difference": r["difference"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
            }
        return out

    def to_markdown(self) -> str:
        """The models, the setting, each model's figures, one table per comparison and the verdicts."""
        lines = [f"# {len(self.models)} models compared on the same {self.n:,} labelled cases", ""]
        lines += ["| model | given as | name | kind | level | bundle |", "|---|---|---|---|---|---|"]
        for m in self.models:
            cells = (m["label"], m["given_as"], m["name"], m["kind"], m["level"], str(m["bundle_hash"])[:12])
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        mix = ", ".join(f"{s} {x:.1%}" for s, x in self.setting["mix"].items())
        lines += [
            "",
            f"Setting: {_md(self.setting['name'])}, {_md(self.setting['words'])} ({mix}), for every model.",
            "",
        ]
        lines += [_md(self.summary()), "", "| model | " + " | ".join(METRIC_WORDS[m] for m in METRICS) + " |"]
        lines.append("|---" * (len(METRICS) + 1) + "|")
        for lab, f in self.own_figures().items():
            lines.append(f"| {lab} | " + " | ".join(f"{f[m]:.3f}" for m in METRICS) + " |")
        for pair, verdict in zip(self.pairs(), self.verdicts()):
            lines += ["", f"## {pair.replace(' - ', ' minus ')} (95% paired bootstrap interval)", ""]
            lines += ["| cases | n | " + " | ".join(METRIC_WORDS[m] for m in METRICS) + " |"]
            lines.append("|---" * (len(METRICS) + 2) + "|")
            for stratum, n, rows in self.groups_of(pair):
                lines.append(f"| {stratum} | {n:,} | " + " | ".join(cell(r) for r in rows) + " |")
            lines += ["", _md(verdict)]
        lines += [""] + [f"- {_md(n)}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """The cases compared in one line: how many, from how many patients, of which sites."""
        sites = ", ".join(f"{s} {k:,}" for s, k in self.site_counts.items())
        boot = f"{self.n_bootstrap:,} bootstrap resamples of patients" if self.n_bootstrap else "no bootstrap"
        return f"{self.n:,} labelled cases ({sites}) of {self.n_patients:,} patients; {boot}."


def cell(r: dict) -> str:
    """A difference and its interval (a difference alone when there is none)."""
    if r["ci_low"] != r["ci_low"]:  # NaN: no interval
        return f"{r['difference']:+.3f}"
    return f"{r['difference']:+.3f} ({r['ci_low']:+.3f} to {r['ci_high']:+.3f})"


def _by_stratum(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """(group of cases in words, its rows in METRICS' order), in the order of the rows."""
    out: dict[str, list] = {}
    for r in rows:
        name = r["stratum"] if r["group"] != "fields recorded" else f"{r['stratum']} fields recorded"
        out.setdefault(name, []).append(r)
    return list(out.items())


def _md(text) -> str:
    """Text for a Markdown table cell: pipes escaped, line breaks as spaces."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\r", " ")
