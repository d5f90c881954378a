"""Write tests/data/golden/shipped_outputs.json: what the shipped model answers for the example case
and the seven seed patients (every report key, with --panel 2, under the model's prior and every
named one) and the seed cohort's scored table.

    python tests/make_golden.py

Run it only when an output is meant to change (a new shipped model, a new way of making sets),
and say why in the commit; tests/test_golden.py holds every later change to the code to these
numbers: bit for bit on the machine that wrote them, to 1e-12 relative on any other.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "golden" / "shipped_outputs.json"
IDENTITY = ("model", "notice")  # who answered, not what: compared elsewhere


def golden() -> dict:
    from netorigin.estimator import load_bundle
    from netorigin.inference import case_report, score_cases, score_cohort
    from netorigin.io import default_model_path, example_case_path, load_cases, load_seed_cohort

    model = load_bundle(default_model_path())
    cases = {"example": load_cases(example_case_path())}
    seed = load_seed_cohort()
    for i, cid in enumerate(seed.table["case_id"]):
        row = seed.table.iloc[[i]].reset_index(drop=True)
        cases[str(cid)] = type(seed)(table=row[seed.contract_columns], notices=[])
    out = {"reports": {}, "seed_table": None}
    for name, v in cases.items():
        for prior in (None, "liver-met-archive", "population", "training"):
            rep = case_report(score_cases(model, v.cases, notices=v.notices, target_prior=prior, panel=2), 0)
            out["reports"][f"{name}|{prior or 'default'}"] = {k: x for k, x in rep.items() if k not in IDENTITY}
    table = score_cohort(model, seed)
    out["seed_table"] = table.drop(columns=["model_bundle", "notice"]).to_dict(orient="records")
    return out


def written() -> dict:
    """The answers and the machine they were computed on (bit-exact there; 1e-12 elsewhere)."""
    from netorigin.testing import machine_fingerprint

    return {"written_on": machine_fingerprint(), "answers": golden()}


if __name__ == "__main__":
    OUT.write_text(json.dumps(written(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
