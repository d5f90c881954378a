"""The shipped model's answers: the example case and the seed patients (every report key, panel of
two, four priors) and the seed cohort's table, against tests/data/golden/, written by
``python tests/make_golden.py`` (see its docstring for when it may be rerun).

Bit for bit on a machine like the one that wrote the file (same CPU, NumPy build and SIMD paths:
:func:`netorigin.testing.machine_fingerprint`); on any other, floats to 1e-12 relative and every
word, set and choice exactly (docs/development.md, "What is bit-exact")."""

import json

import pytest
from make_golden import OUT, golden

from netorigin.testing import assert_same_answers, machine_fingerprint


@pytest.fixture(scope="module")
def stored():
    return json.loads(OUT.read_text())


def test_the_shipped_models_answers_are_unchanged(stored):
    now = json.loads(json.dumps(golden(), sort_keys=True))  # through JSON, as the file holds them
    exact = stored["written_on"] == machine_fingerprint()
    assert_same_answers(now, stored["answers"], exact=exact, where="golden")


def test_the_comparison_is_exact_for_words_and_tolerant_for_floats_from_another_machine():
    base = {"p": 0.1, "set": ["ileal"], "text": "ileal 97%"}
    assert_same_answers({**base, "p": 0.1 * (1 + 1e-15)}, base, exact=False)
    with pytest.raises(AssertionError, match="p: "):
        assert_same_answers({**base, "p": 0.1 * (1 + 1e-15)}, base, exact=True)
    with pytest.raises(AssertionError, match="p: "):
        assert_same_answers({**base, "p": 0.1 * (1 + 1e-9)}, base, exact=False)
    with pytest.raises(AssertionError, match="set"):
        assert_same_answers({**base, "set": ["ileal", "other"]}, base, exact=False)
    with pytest.raises(AssertionError, match="text"):
        assert_same_answers({**base, "text": "ileal 96%"}, base, exact=False)
    with pytest.raises(AssertionError, match="keys"):
        assert_same_answers({"p": 0.1}, base, exact=False)
