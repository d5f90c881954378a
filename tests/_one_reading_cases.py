"""The tricky cases sent through every door by tests/test_one_reading.py (and, through a real
`mlflow models serve`, by tests/test_integrations.py), and the requests that carry them."""

from __future__ import annotations

import csv
import io
import json

REFUSED = "refused"
# each tricky case is BASE with one field written one way: (field, text as written, the command
# line's reading of it: a canonical value, None for not done, or REFUSED); "pandas:" says what
# pandas.read_csv (MLflow's own CSV reader) makes of the text
BASE = {"case_id": "T1", "ihc_cdx2": "negative", "ihc_ttf1": "negative", "age_years": "61"}
TRICKY = [
    ("mesenteric_mass", "None", "no"),  # pandas: NaN
    ("mesenteric_mass", "none", "no"),
    ("mesenteric_mass", "no", "no"),
    ("hormonal_syndrome", "None", "none"),  # pandas: NaN
    ("ihc_cdx2", "None", REFUSED),  # pandas: NaN
    ("mesenteric_mass", "#N/A", REFUSED),  # pandas: NaN
    ("ihc_ttf1", "-NaN", REFUSED),  # pandas: NaN
    ("grade", "<NA>", REFUSED),  # pandas: NaN
    ("grade", "#NA", REFUSED),  # pandas: NaN
    ("mesenteric_mass", "NA", None),
    ("ihc_ttf1", "NULL", None),
    ("mesenteric_mass", "", None),
    ("mesenteric_mass", "1.0", REFUSED),  # pandas: 1.0
    ("mesenteric_mass", "1", "yes"),
    ("mesenteric_mass", "False", "no"),  # pandas: False
    ("grade", "02", REFUSED),  # pandas: 2
    ("grade", "2", "G2"),
    ("grade", "1.0", "G1"),
    ("grade", "G2", "G2"),
    ("mesenteric_mass", "YES", "yes"),
    ("mesenteric_mass", "  yes ", "yes"),
    ("ihc_ttf1", "TRUE", "positive"),  # pandas: True
    ("age_years", "inf", REFUSED),  # pandas: inf
    ("age_years", " 70 ", 70.0),
    ("age_years", "6.1e1", 61.0),
    ("mitoses_per_2mm2", "02", "2"),
    ("case_id", "007", "007"),  # pandas: 7
    ("treatment", "octreotide", REFUSED),  # not a field: refused, as the JSON API refuses it
]
MLFLOW_DOORS = ("csv", "dataframe_split", "dataframe_records", "instances", "inputs", "inputs_columns")


def csv_text(cases) -> str:
    cases = [cases] if isinstance(cases, dict) else cases
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(cases[0]))
    w.writerows([list(c.values()) for c in cases])
    return buf.getvalue()


def mlflow_request(door: str, cases) -> tuple[str, str]:
    """A request in one of MLflow serving's formats: one case (a mapping) or several (a list)."""
    cases = [cases] if isinstance(cases, dict) else cases
    if door == "csv":
        return csv_text(cases), "text/csv"
    columns = list(cases[0])
    body = {
        "dataframe_split": lambda: {"dataframe_split": {"columns": columns, "data": [list(c.values()) for c in cases]}},
        "dataframe_records": lambda: {"dataframe_records": cases},
        "instances": lambda: {"instances": cases},
        "inputs": lambda: {"inputs": cases},
        "inputs_columns": lambda: {"inputs": {k: [c[k] for c in cases] for k in columns}},
    }[door]()
    return json.dumps(body), "application/json"
