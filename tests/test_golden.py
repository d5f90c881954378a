"""The shipped model's answers, bit for bit: the example case and the seed patients (every report
key, panel of two, four priors) and the seed cohort's table, against tests/data/golden/, written by
``python tests/make_golden.py`` (see its docstring for when it may be rerun)."""

import json
import math

from make_golden import OUT, golden


def _same(a, b, where="") -> None:
    if isinstance(a, float) and isinstance(b, float):
        assert a == b or (math.isnan(a) and math.isnan(b)), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), f"{where}: keys {sorted(set(a) ^ set(b))}"
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_the_shipped_models_answers_are_unchanged_bit_for_bit():
    now = json.loads(json.dumps(golden(), sort_keys=True))  # through JSON, as the file holds them
    _same(now, json.loads(OUT.read_text()), "golden")
