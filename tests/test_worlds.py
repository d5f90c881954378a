"""How sure the literature is (n_eff per parameter) and worlds drawn from it."""

import math

import numpy as np
import pytest
from _helpers import run

from netorigin.exceptions import InputError
from netorigin.literature import (
    bayes_posterior,
    default_literature,
    draw_world,
    make_synthetic_cohort,
    parameter_records,
)
from netorigin.literature._cells import MULTI
from netorigin.literature._params import n_eff_of
from netorigin.literature._worlds import share_groups


def test_every_parameter_says_how_sure_it_is_and_by_which_rule():
    rows = parameter_records()
    for r in rows:
        n = n_eff_of(r)
        rule = r["n_eff_rule"]
        assert r["n_eff"].strip() and rule.strip(), r
        if math.isinf(n):
            assert rule.startswith("fixed:"), r
        else:
            assert rule.split(":")[0] == r["status"], r  # the rule is the status's rule
            if r["status"] == "assumed":
                assert n <= 20, r  # an assumption is weak


def _cells_ok(world):
    m = world.model
    for name, arr in m.arrays.items():
        if name.startswith("rate:"):
            assert ((arr >= 0) & (arr <= 1)).all(), name
        if name.startswith(("sd:", "log_sd:", "scale:")):
            assert (arr > 0).all(), name
    for f, vals, _ in MULTI:
        assert (sum(m[f"rate:{f}={v}"] for v in vals) <= 1 + 1e-12).all(), f
    for sub in {c[1] for c in m.cells}:
        w = [pw for c, pw in zip(m.cells, m.phenotype_weight) if c[1] == sub]
        assert abs(sum(w) - 1) < 1e-9, sub
    g = m.arrays["mitoses_given_grade"]
    assert np.allclose(g.sum(axis=1), 1) and (g >= 0).all()


@pytest.mark.parametrize("seed", range(0, 400, 7))
def test_every_drawn_world_is_coherent(seed):
    world = draw_world(seed)
    _cells_ok(world)
    lit = {(r["parameter"], r["site"]): r["value"] for r in default_literature().parameter_rows}
    for r in world.parameter_rows:
        if math.isinf(n_eff_of(r)):
            assert r["value"] == lit[(r["parameter"], r["site"])]  # fixed rows never move


def test_same_seed_same_world_and_the_spread_follows_n_eff():
    assert draw_world(5).parameter_rows == draw_world(5).parameter_rows
    assert draw_world(5).parameter_rows != draw_world(6).parameter_rows
    rows = parameter_records()
    key = next(i for i, r in enumerate(rows) if r["parameter"] == "rate:ihc_sstr2a=positive" and r["site"] == "ileal")
    weak = next(i for i, r in enumerate(rows) if r["parameter"] == "rate:bone_metastases=yes" and r["site"] == "ileal")
    draws = np.array(
        [[w.parameter_rows[key]["value"], w.parameter_rows[weak]["value"]] for w in map(draw_world, range(300))]
    )
    for j, i in enumerate((key, weak)):
        p, n = rows[i]["value"], n_eff_of(rows[i])
        assert abs(draws[:, j].mean() - p) < 3 * math.sqrt(p * (1 - p) / (n + 1) / 300) + 1e-3
        assert draws[:, j].std() == pytest.approx(math.sqrt(p * (1 - p) / (n + 1)), rel=0.2)
    assert draws[:, 0].std() < draws[:, 1].std() * 0.6  # 156 patients say more than an assumption


def test_shares_are_drawn_together():
    rows = parameter_records()
    groups = share_groups(rows)
    phen = [g for g in groups if rows[g[0]]["parameter"] == "phenotype"]
    assert {rows[g[0]]["site"].split("/")[0] for g in phen} == {"ileum", "jejunum", "pancreas", "lung"}


def test_a_bad_n_eff_is_refused_naming_the_row(tmp_path):
    text = (default_literature().parameters.to_csv(index=False)).splitlines()
    head, first = text[0].split(","), text[1]
    bad = tmp_path / "p.csv"
    cells = first.split(",")
    cells[head.index("n_eff")] = "many"
    bad.write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n")
    with pytest.raises(InputError, match=r"n_eff: 'many' for phenotype \(ileum/syndromic\) is not a number > 0"):
        parameter_records(bad)


def test_the_exact_posterior_of_a_world_beats_the_literatures_on_its_cases():
    gaps = []
    for seed in (11, 12, 13):
        c = make_synthetic_cohort(3000, scenario="unknown-primary", random_state=seed, workup="mixture", world=seed)
        y = c["primary_site"].cat.codes.to_numpy()
        own = bayes_posterior(c, scenario="unknown-primary", world=seed).to_numpy()
        lit = bayes_posterior(c, scenario="unknown-primary").to_numpy()
        ll = [-np.log(p[np.arange(len(y)), y]).mean() for p in (own, lit)]
        gaps.append(ll[1] - ll[0])
    assert np.mean(gaps) > 0.01 and min(gaps) > 0


def test_synth_world_writes_a_world_that_reads_back_as_the_same_world(tmp_path):
    a, b, w = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "world.csv"
    r = run("synth", "--n", "300", "--world", "4", "--save-world", str(w), "-o", str(a))
    assert r.returncode == 0, r.stderr
    assert "world 4" in r.stdout
    r = run("synth", "--n", "300", "--parameters", str(w), "-o", str(b))
    assert r.returncode == 0, r.stderr
    assert a.read_bytes() == b.read_bytes()
    r = run("synth", "--n", "3", "--save-world", str(w), "-o", str(a))
    assert r.returncode == 2 and "--save-world needs --world" in r.stderr
