"""Shared, seeded fixtures."""

import pytest

from netorigin.synth import make_synthetic_cohort


@pytest.fixture(scope="session")
def small_cohort():
    """3,000 labelled synthetic cases (liver-metastasis archive mix), fixed seed."""
    return make_synthetic_cohort(3000, scenario="liver-met-archive", random_state=123)


@pytest.fixture(scope="session")
def small_test_cohort():
    return make_synthetic_cohort(3000, scenario="liver-met-archive", random_state=456)
