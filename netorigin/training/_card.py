"""The model card: what a registered model is, what it was trained and validated on, how its
probabilities were calibrated, and what training found wrong with it (Markdown)."""

from __future__ import annotations


def model_card(model, what: str) -> str:
    """The description of a registered model and its version: intended use, training data,
    validation figures, limitations (Markdown)."""
    from ._checks import calibration_summary

    metrics = model.metadata_.get("metrics", {})
    td = model.metadata_.get("training_data", {})
    names = {"accuracy": "accuracy", "log_loss": "log-loss", "brier": "Brier score", "ece": "ECE", "macro_auc": "AUC"}
    held_out = "test_" if any(k.startswith("test_") for k in metrics) else "cv_"
    figures = ", ".join(
        f"{word} {metrics[held_out + k]:.3f}"
        for k, word in names.items()
        if isinstance(metrics.get(held_out + k), (int, float))
    )
    where = f"{td.get('n_test'):,} held-out cases" if held_out == "test_" and td.get("n_test") else "cross-validation"
    figures = f"{figures} ({where})" if figures else "none recorded with this model"
    synthetic = str(td.get("description") or "").startswith("synthetic")
    source = (
        "synthetic cases only (generator parameters from the literature, many assumed); never measured on patients"
        if synthetic
        else f"{td.get('description')} only; netorigin has not validated it elsewhere"
    )
    return (
        f"# netorigin model card\n\n**{model.identity_.notice}**\n\n"
        "**Intended use**: the primary site (ileal, pancreatic, other) of a *well-differentiated* "
        "neuroendocrine tumour found as liver metastases, for research. Not for poorly differentiated "
        "carcinoma (refused), not a diagnosis.\n\n"
        f"**Model**: {what}; bundle {model.identity_.bundle_hash}.\n\n"
        f"**Validation (held out, as shipped)**: {figures}. Measured on the training data's own kind of "
        "cases; see the trust benchmark for other deployment mixes.\n\n"
        f"**Calibration**: {calibration_summary(model.metadata_.get('calibration'))}.\n\n"
        f"**Limitations**: validated on {source}; sub-sites beyond those of the training data are "
        "unknown to it.\n" + "".join(f"\n**Warning from training**: {w}\n" for w in model.metadata_.get("warnings", []))
    )
