"""Keeping a model uncalibrated after the fact: when held-out cases the final classifier never saw
show its calibration making the answer worse (training's check on its test cases)."""

from __future__ import annotations

from ._conformal import ConformalSets
from ._temperature import TemperatureScaling


def keep_uncalibrated(model, reason: str):
    """Replace a fitted model's calibration by none (temperatures 1, biases 0) and refit its
    prediction sets on the same held-out margins, uncalibrated; ``reason`` goes into the model's
    calibration record (``calibration_``), beside the held-out figures its choice was made on."""
    margins, y = model.oof_margins_, model.oof_y_
    cal = TemperatureScaling(per_label="none").fit(margins, y)
    fields = getattr(model.conformal_, "cal_fields_", None)
    model.conformal_ = ConformalSets().fit(cal.predict_proba(margins), y, label_site=model.label_site_, n_fields=fields)
    held = model.calibration_.get("held_out", {})
    model.calibrator_ = cal
    model.calibration_ = {**cal.record(model.calibration_design_, reason), "held_out": held}
    return model
