"""Property-based tests: whatever the parser is given, it only ever raises netorigin's own errors."""

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netorigin import FIELDS, NetoriginError, ValidationError, validate_case, validate_cohort
from netorigin.io import load_cases

_names = st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=12))
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["+", "-", "pos", "ND", "G2", "<2", "2-20", "postive", "10%", "35 mm", "nan", "inf"]),
)
_values = st.one_of(
    _scalars, st.lists(_scalars, max_size=2), st.dictionaries(st.text(max_size=3), _scalars, max_size=2)
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_names, _values, max_size=8))
def test_case_parser_raises_only_validation_error(case):
    try:
        v = validate_case(case)
    except ValidationError as e:
        assert e.problems and all(p.message() for p in e.problems)
    else:
        assert v.n_cases == 1


@settings(max_examples=150, deadline=None)
@given(st.one_of(_scalars, st.lists(_scalars, max_size=3)))
def test_case_parser_rejects_non_mappings_cleanly(obj):
    try:
        validate_case(obj)
    except ValidationError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(sorted(FIELDS) + ["treatment", "ihc_cdx", "expr_X1"]), min_size=1, max_size=6),
    st.lists(st.lists(_scalars, min_size=6, max_size=6), min_size=0, max_size=5),
)
def test_cohort_parser_raises_only_validation_error(columns, rows):
    df = pd.DataFrame([r[: len(columns)] for r in rows], columns=columns) if rows else pd.DataFrame(columns=columns)
    try:
        v = validate_cohort(df)
    except ValidationError as e:
        assert e.problems
    else:
        assert v.n_cases == len(rows)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([".csv", ".yaml", ".json", ".parquet", ".tsv"]))
def test_any_file_bytes_give_a_netorigin_error_or_a_cohort(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"input{suffix}"
    path.write_bytes(data)
    try:
        load_cases(path)
    except NetoriginError as e:
        assert str(e)


_cells = st.one_of(
    st.sampled_from([True, False, 0, 1, 2, 3, 0.0, 1.0, 2.0, -0.0, "1", "true", "yes", "G2", "02", "None", "ND", ""]),
    _scalars,
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(set(FIELDS) - {"case_id"})), st.lists(_cells, min_size=2, max_size=6))
def test_a_value_reads_in_a_column_as_it_reads_alone(field, values):
    """A column is read through its unique values; a value never takes the reading of another one
    its hash table thinks equal (True == 1, False == 0 == 0.0) that came first."""
    from netorigin.io import validate_rows

    alone = []
    for v in values:
        try:
            t = validate_case({field: v}).table
            alone.append(t[field].iloc[0] if field in t else None)
        except ValidationError:
            alone.append(ValidationError)
    ids = [f"c{i}" for i in range(len(values))]
    v = validate_rows(pd.DataFrame({"case_id": ids, field: values}, dtype=object))
    aside = set(v.set_aside["row"] - 1)
    kept = [i for i in range(len(values)) if i not in aside]
    for i, expected in enumerate(alone):
        if i in aside:
            assert expected is ValidationError, (values[i], expected)
            continue
        got = v.table[field].iloc[kept.index(i)]
        assert expected is not ValidationError, (values, i, got)
        assert (got != got and expected != expected) or got == expected or (got is None and expected is None), (
            values,
            i,
            got,
            expected,
        )
