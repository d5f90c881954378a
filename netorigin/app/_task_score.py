"""The score task of a pipeline: a cohort scored with a model (the next tests from a lab's table
when the pipeline names one), written as a Markdown report, tracked as aggregates only."""

from __future__ import annotations

from ..io._outputs import write_bytes_atomic


def score_task(cfg, text, table, desc, tracking_uri, track, progress=None):
    """``table``: the pipeline's cohort (``desc``: what it is)."""
    # long: the score task end to end (read, score, write, report, track), each step a few lines
    import time

    from ..inference import score_cohort
    from ..io import default_model_path
    from ..training import load_model
    from ._report import markdown_report

    started = time.time()
    model = load_model(cfg.get("model") or str(default_model_path()))
    coverage = cfg["coverage"]
    from ..contract import ValidatedCohort

    lab = cfg.get("tests")  # the lab's test table: what the next test may be
    out_table = score_cohort(
        model,
        ValidatedCohort(table=table),
        target_prior=cfg.get("target_prior"),
        coverage=coverage,
        progress=progress,
        tests=lab,
    )
    report = markdown_report(
        out_table,
        model.identity_.as_dict(),
        title=f"{cfg.get('name', 'score')}: {desc}",
        target_prior=model.prior_.name(cfg.get("target_prior")),
        coverage=coverage,
        tests=lab,
    )
    out = cfg.get("output")
    if out:
        write_bytes_atomic(out, report.encode("utf-8"))
    summary = {"markdown": report, "table": out_table}
    if track:
        from ..contract import SITES
        from ..training import fingerprint, log_run

        # aggregates only: the scored table and the report (which name the cases) are never logged
        scored = out_table[out_table["status"] == "scored"]
        metrics = {
            "n_cases": len(out_table),
            "n_scored": len(scored),
            **{f"n_top_{s}": int((scored["top_site"] == s).sum()) for s in SITES},
            **{f"mean_p_{s}": float(scored[f"p_{s}"].mean()) for s in SITES if len(scored)},
        }
        prior = model.prior_.name(cfg.get("target_prior"))
        summary["tracking"] = log_run(
            run_name=f"score {cfg.get('name', '')}: {desc}"[:200],
            started=started,
            description=f"Scored {desc} ({len(out_table)} cases) with {model.identity_.name} "
            f"(bundle {model.identity_.bundle_hash[:12]}), prior {prior}, {coverage:.0%} sets.",
            params={
                "pipeline": cfg.get("name", ""),
                "model.bundle_hash": model.identity_.bundle_hash,
                "model.kind": model.kind,
                "target_prior": prior,
                "coverage": coverage,
                "data.fingerprint": fingerprint(table),
                "data.description": desc,
                "output": out or "",
            },
            metrics=metrics,
            tags={"netorigin.task": "score", "netorigin.bundle_hash": model.identity_.bundle_hash},
            artifacts={"pipeline_config.yaml": text.encode()},
            tracking_uri=tracking_uri,
        )
    return summary
