"""Procedures that look for the primary, as findings (issue 32, part 1), and settings that agree with
them (part 2): the contract reads every surface's spelling, the cell model, the exact posterior, the
generator and the fit agree, a model trained before procedures never ignores them silently, and a
setting's assumed negatives are never counted twice."""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from _helpers import ROOT, run

from netorigin.contract import FIELDS, PROCEDURE_FIELDS, PROCEDURES, SITES, parse_value, validate_case, validate_cohort
from netorigin.exceptions import InputError, Problem, ValidationError
from netorigin.literature import (
    Literature,
    bayes_posterior,
    build_model,
    default_literature,
    derive_setting_mix,
    draw_world,
    fit_cells,
    log_likelihood,
    make_synthetic_cohort,
    parameter_records,
)
from netorigin.literature._procedures import procedure_table

EUS = FIELDS["proc_eus"]


# ----------------------------------------------------------------------------- the contract
@pytest.mark.parametrize(
    "raw, value",
    [
        ("negative", "negative"),
        ("Neg", "negative"),
        ("-", "negative"),
        ("no primary seen", "negative"),
        ("No primary found.", "negative"),
        ("seen_pancreas", "seen_pancreas"),
        ("seen pancreas", "seen_pancreas"),
        ("EUS: pancreatic tail lesion", "seen_pancreas"),
        ("pancreas, not confirmed", "seen_pancreas"),
        ("biopsy-proven pancreatic NET", "confirmed_pancreas"),
        ("Confirmed_Duodenum", "confirmed_duodenum"),
        ("periampullary lesion (histology)", "confirmed_duodenum"),
    ],
)
def test_a_procedure_result_is_read_in_the_words_reports_use(raw, value):
    assert parse_value(EUS, raw) == value


@pytest.mark.parametrize("raw", ["", "ND", "not done", "n/a", None, float("nan")])
def test_not_done_is_never_negative(raw):
    assert parse_value(EUS, raw) is None
    table = validate_cohort(pd.DataFrame({"case_id": ["a"], "proc_eus": [raw]})).table
    assert table["proc_eus"].isna().all()


@pytest.mark.parametrize(
    "raw, said",
    [
        ("ileum", "cannot see the small bowel"),  # a place the procedure cannot see
        ("no pancreatic lesion", "negation together with a place"),
        ("positive", "one of negative, seen_pancreas"),  # seen where?
        ("none", "one of negative"),  # none done, or none seen? never guessed
    ],
)
def test_a_result_that_cannot_be_read_is_refused_by_name(raw, said):
    got = parse_value(EUS, raw)
    assert isinstance(got, Problem) and got.field == "proc_eus"
    with pytest.raises(ValidationError, match="proc_eus") as e:
        validate_case({"proc_eus": raw})
    assert said in str(e.value)


def test_every_procedure_has_plain_words_and_only_its_own_places():
    from netorigin.contract import PLACES, SUBSITES, field_label, value_words

    subsites = {s for ss in SUBSITES.values() for s in ss}
    for f in PROCEDURE_FIELDS:
        field = FIELDS[f]
        assert field.procedure and field.not_done_allowed and field.values[0] == "negative"
        assert field_label(f) != f and "_" not in field_label(f)
        for v in field.values[1:]:
            kind, _, place = v.partition("_")
            assert kind in ("seen", "confirmed") and place in PROCEDURES[f].places
            assert set(PLACES[place]) <= subsites and "_" not in value_words(f, v)


def test_a_reading_by_the_rule_is_shown_back_to_the_user():
    v = validate_case({"proc_colonoscopy": "rectal lesion"})
    said = [n.message for n in v.notices if n.kind == "read_as"]
    assert said and "rectum lesion seen, not confirmed" in said[0]


def test_every_surface_knows_the_procedures(tmp_path):
    """YAML case, CSV cohort, template, schema exports and mapping suggestions."""
    case = tmp_path / "case.yaml"
    case.write_text("ihc_cdx2: positive\nproc_eus: negative\nproc_colonoscopy: biopsy-proven rectum\n")
    r = run("score", str(case), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    rep = rep[0] if isinstance(rep, list) else rep
    assert rep["inputs"]["proc_colonoscopy"] == "rectum primary confirmed by histology"
    cohort = tmp_path / "c.csv"
    cohort.write_text("case_id,EUS,Colonoscopy\na,neg,\nb,pancreatic head lesion,rectal NET (biopsy-proven)\n")
    draft = run("map", "suggest", str(cohort))
    assert draft.returncode == 0 and "proc_eus" in draft.stdout and "proc_colonoscopy" in draft.stdout
    template = run("template").stdout
    assert all(f"{f}:" in template for f in PROCEDURE_FIELDS) and "never negative" in template
    schema = json.loads(run("schema", "--format", "json-schema").stdout)
    assert schema["properties"]["proc_eus"]["x-canonical-values"][0] == "negative"
    rows = list(csv.DictReader(io.StringIO(run("schema", "--format", "csv").stdout)))
    assert {r["field"] for r in rows} >= set(PROCEDURE_FIELDS)


# ----------------------------------------------------------------------------- the cell model
def test_each_result_table_sums_to_one_and_sees_nothing_outside_its_places():
    model = default_literature().model
    assert set(model.procedures) == set(PROCEDURE_FIELDS)
    for f in PROCEDURE_FIELDS:
        t = procedure_table(model, f)
        np.testing.assert_allclose(t.sum(axis=1), 1.0, atol=1e-12)
        sees = set(PROCEDURES[f].subsites)
        blind = np.array([c[1] not in sees for c in model.cells])
        # a cell the procedure cannot see: a lesion is only ever a false one
        false = model[f"rate:{f}=false_positive"][blind]
        np.testing.assert_allclose(t[blind, 0], 1 - false)


def test_parameter_rows_that_give_a_procedure_in_part_or_a_blind_sensitivity_are_refused():
    rows = [dict(r) for r in parameter_records()]
    part = [r for r in rows if r["parameter"] != "rate:proc_eus=false_positive"]
    with pytest.raises(InputError, match="proc_eus=false_positive"):
        build_model(part)
    blind = [dict(r) for r in rows] + [
        {**rows[0], "parameter": "rate:proc_eus=seen", "site": "lung", "value": 0.3, "n_eff": "20"}
    ]
    with pytest.raises(InputError, match="cannot see"):
        build_model(blind)


def test_a_model_without_procedure_rows_does_not_know_them_and_reads_none():
    from netorigin.literature import fields_read

    rows = [r for r in parameter_records() if not r["parameter"].startswith("rate:proc")]
    old = build_model(rows)
    assert old.procedures == () and not (fields_read(old) & set(PROCEDURE_FIELDS))
    case = pd.DataFrame({"ihc_cdx2": ["positive"], "proc_eus": ["confirmed_pancreas"]})
    case = validate_cohort(case, require_case_id=False).table
    np.testing.assert_array_equal(log_likelihood(old, case), log_likelihood(old, case[["ihc_cdx2"]]))


# ----------------------------------------------------------------------------- the exact posterior
def _case(**fields):
    return validate_cohort(pd.DataFrame({k: [v] for k, v in fields.items()}), require_case_id=False).table


def test_not_done_contributes_nothing_negative_counts_against_what_it_sees_confirmed_settles_it():
    base = bayes_posterior(_case(ihc_cdx2="negative"), scenario="liver-met-archive").to_numpy()[0]
    blank = bayes_posterior(
        _case(ihc_cdx2="negative", proc_eus=None, proc_capsule="ND"), scenario="liver-met-archive"
    ).to_numpy()[0]
    np.testing.assert_array_equal(base, blank)
    neg = bayes_posterior(_case(ihc_cdx2="negative", proc_eus="negative"), scenario="liver-met-archive").to_numpy()[0]
    pancreatic = SITES.index("pancreatic")
    assert neg[pancreatic] < 0.5 * base[pancreatic]  # EUS sees most pancreatic primaries
    seen = bayes_posterior(_case(proc_eus="seen_pancreas"), scenario="liver-met-archive").to_numpy()[0]
    confirmed = bayes_posterior(
        _case(ihc_cdx2="positive", proc_eus="confirmed_pancreas"), scenario="unknown-primary"
    ).to_numpy()[0]
    # a lesion seen and not confirmed is weaker evidence (EUS confirms most primaries it sees, so an
    # unconfirmed lesion is often a false one); a confirmed one settles it, even against a positive CDX2
    alone = bayes_posterior(_case(proc_eus="confirmed_pancreas"), scenario="unknown-primary").to_numpy()[0]
    assert 0.5 < seen[pancreatic] < 0.9 and confirmed[pancreatic] > 0.98 and alone[pancreatic] > 0.995


def test_the_generator_draws_procedures_the_exact_posterior_reads():
    """On cases drawn with every procedure done, the exact posterior is calibrated."""
    from netorigin.training import expected_calibration_error

    cases = make_synthetic_cohort(4000, scenario="population", random_state=3, workup="minimal")
    assert cases[list(PROCEDURE_FIELDS)].notna().to_numpy().mean() == pytest.approx(0.15, abs=0.02)
    y = np.array([SITES.index(s) for s in cases["primary_site"].astype(str)])
    p = bayes_posterior(cases, scenario="population").to_numpy()
    assert expected_calibration_error(y, p) < 0.03


def test_adding_procedures_leaves_every_other_drawn_value_and_case_as_it_was():
    """Drawn worlds and generated cohorts keep their other values: procedures draw from streams of
    their own (a benchmark's worlds and cohorts of before are the same cases)."""
    rows = parameter_records()
    old = [r for r in rows if not r["parameter"].startswith("rate:proc")]
    from netorigin.literature._worlds import draw_rows

    new = {(r["parameter"], r["site"]): r["value"] for r in draw_rows(7, rows)}
    for r in draw_rows(7, old):
        assert new[(r["parameter"], r["site"])] == r["value"]
    lit_old = Literature.from_tables(old, default_literature().scenario_rows)
    lit_old.workup_table = default_literature().workup_table
    a = make_synthetic_cohort(500, random_state=2, workup="mixture", literature=lit_old)
    b = make_synthetic_cohort(500, random_state=2, workup="mixture")
    pd.testing.assert_frame_equal(a, b[[c for c in b.columns if c in a.columns]])
    assert b[list(PROCEDURE_FIELDS)].notna().any().all()


def test_drawn_and_structured_worlds_carry_the_procedures():
    w = draw_world(3)
    drawn = {(r["parameter"], r["site"]): r["value"] for r in w.parameter_rows}
    lit = {(r["parameter"], r["site"]): r["value"] for r in default_literature().parameter_rows}
    assert drawn[("rate:proc_eus=seen", "pancreatic")] != lit[("rate:proc_eus=seen", "pancreatic")]
    assert drawn[("rate:proc_eus=seen", "*")] == 0.0  # a fixed zero stays zero
    for structure in ("cells", "subtypes", "factor", "pairs"):
        s = draw_world(3, structure=structure)
        assert set(s.model.procedures) == set(PROCEDURE_FIELDS)
        # no structure moves a procedure: its rates are the drawn world's, sub-site by sub-site
        sens = s.model["rate:proc_eus=seen"]
        pancreas = np.array([c[1] == "pancreas" for c in s.model.cells])
        np.testing.assert_allclose(sens[pancreas], drawn[("rate:proc_eus=seen", "pancreatic")])


# ----------------------------------------------------------------------------- the fit
def test_em_fits_the_procedure_rates_with_the_literature_as_prior():
    """A world whose EUS sees fewer pancreatic primaries and whose capsule confirms more: EM with a
    light literature weight finds them; a rate no case informs keeps its literature value."""
    rows = [dict(r) for r in parameter_records()]
    truth = {("rate:proc_eus=seen", "pancreatic"): 0.5, ("rate:proc_capsule=confirmed|seen", "*"): 0.7}
    for r in rows:
        r["value"] = truth.get((r["parameter"], r["site"]), r["value"])
    world = Literature.from_tables(rows, default_literature().scenario_rows)
    world.workup_table = default_literature().workup_table
    cases = make_synthetic_cohort(6000, scenario="training-mix", random_state=5, workup="referral", literature=world)
    cases = cases.drop(columns=["proc_chest_ct"])
    fit = fit_cells(cases, cases["primary_site_detail"].astype(object).to_numpy(), level="subsite", weight=0.1)
    got = {(r["parameter"], r["site"]): r["value"] for r in fit.rows}
    assert got[("rate:proc_eus=seen", "pancreatic")] == pytest.approx(0.5, abs=0.06)
    assert got[("rate:proc_capsule=confirmed|seen", "*")] == pytest.approx(0.7, abs=0.08)
    lit = {(r["parameter"], r["site"]): r["value"] for r in parameter_records()}
    assert got[("rate:proc_chest_ct=seen", "lung")] == lit[("rate:proc_chest_ct=seen", "lung")]


# ----------------------------------------------------------------------------- models
def test_the_shipped_model_reads_every_procedure_and_a_confirmed_primary_all_but_settles_it(default_model):
    """The shipped model reads every procedure (as evidence from its cells): a primary confirmed by
    histology all but settles the site where the exact posterior says so (> 99%), stays within a
    10 points of it where findings beside it disagree (a capsule-confirmed small-bowel primary in a
    CDX2-negative, ISL1-positive tumour: exact 88% ileal), with no warning that a procedure is not
    used, and the result is said back in words. (Within 10 points: the findings part is learnt
    across drawn worlds, and where findings disagree with the procedure it weighs them a little
    otherwise than the literature's point figures.)"""
    from netorigin.inference import case_report, score_cases

    assert set(PROCEDURE_FIELDS) <= default_model.cells_.fields_read()
    confirmed = (
        ("proc_eus", "confirmed_pancreas", "pancreatic"),
        ("proc_colonoscopy", "confirmed_rectum", "other"),
        ("proc_capsule", "confirmed_small_bowel", "ileal"),
        ("proc_enteroscopy", "confirmed_small_bowel", "ileal"),
        ("proc_chest_ct", "confirmed_lung", "other"),
    )
    k = {s: i for i, s in enumerate(SITES)}
    for plain in ({"ihc_cdx2": "negative", "ihc_isl1": "positive"}, {"ihc_cdx2": "positive"}, {"age_years": 60}):
        for proc, value, site in confirmed:
            case = {**plain, proc: value}
            r = case_report(score_cases(default_model, case, target_prior="liver-met-archive"), 0)
            exact = bayes_posterior(_case(**case), scenario="liver-met-archive").to_numpy()[0][k[site]]
            got = r["probabilities"][site]
            assert got > exact - 0.1 and (got > 0.97 or exact < 0.99), (case, r["probabilities"], exact)
            assert not [w for w in r["warnings"] if "not used" in w]
    b = case_report(score_cases(default_model, {"ihc_cdx2": "negative", "proc_eus": "confirmed_pancreas"}), 0)
    assert b["inputs"]["proc_eus"] == "pancreas primary confirmed by histology"


def test_every_kind_trained_now_reads_the_procedures(trained_kinds):
    from netorigin.inference import case_report, score_cases

    case = {"ihc_cdx2": "negative", "ihc_isl1": "negative"}
    seen = {"proc_ct_mri": "confirmed_pancreas", "proc_sstr_pet": "confirmed_pancreas"}  # done in most cases
    for kind, result in trained_kinds.items():
        model = result.model
        assert set(PROCEDURE_FIELDS) <= model.cells_.fields_read(), kind
        a = case_report(score_cases(model, case, target_prior="liver-met-archive", advice=False), 0)
        b = case_report(score_cases(model, {**case, **seen}, target_prior="liver-met-archive", advice=False), 0)
        assert b["probabilities"]["pancreatic"] > a["probabilities"]["pancreatic"], kind
        assert not any("not used" in w for w in b["warnings"]), kind


# ----------------------------------------------------------------------------- settings
ROUTINE = {
    "proc_ct_mri": "negative",
    "proc_sstr_pet": "negative",
    "proc_upper_endoscopy": "neg",
    "proc_colonoscopy": "-",
}


def test_the_unknown_primary_setting_says_what_it_assumes():
    lit = default_literature()
    assert lit.assumptions("unknown-primary") == (
        "proc_sstr_pet",
        "proc_ct_mri",
        "proc_upper_endoscopy",
        "proc_colonoscopy",
    )
    assert lit.assumptions("liver-met-archive") == () and lit.assumptions("population") == ()


def test_entering_the_assumed_negatives_does_not_change_the_answer(default_model, trained_kinds):
    from netorigin.inference import case_report, score_cases

    case = {"ihc_cdx2": "positive", "mesenteric_mass": "yes"}
    for name in ("unknown-primary",):
        a = bayes_posterior(_case(**case), scenario=name).to_numpy()
        b = bayes_posterior(_case(**case, **ROUTINE), scenario=name).to_numpy()
        np.testing.assert_array_equal(a, b)
    # in a setting that assumes nothing they are evidence, counted once
    a = bayes_posterior(_case(**case), scenario="liver-met-archive").to_numpy()
    b = bayes_posterior(_case(**case, **ROUTINE), scenario="liver-met-archive").to_numpy()
    assert np.abs(a - b).max() > 0.01
    for model in (default_model, trained_kinds["latent-class"].model, trained_kinds["xgboost"].model):
        r1 = case_report(score_cases(model, case, target_prior="unknown-primary", advice=False), 0)
        r2 = case_report(score_cases(model, {**case, **ROUTINE}, target_prior="unknown-primary", advice=False), 0)
        assert r1["probabilities"] == r2["probabilities"]
        assert "counted once, in the setting" in r2["assumed_by_setting"] and not any(
            "not used" in w for w in r2["warnings"]
        )
        # the answer under another setting, shown beside, is the one scoring there gives
        r3 = case_report(score_cases(model, {**case, **ROUTINE}, target_prior="liver-met-archive", advice=False), 0)
        assert r2["probabilities_by_prior"]["liver-met-archive"] == pytest.approx(r3["probabilities"], abs=1e-12)
        assert r3["probabilities_by_prior"]["unknown-primary"] == pytest.approx(r2["probabilities"], abs=1e-12)


def test_a_lesion_on_an_assumed_procedure_is_counted_and_said_to_contradict_the_setting(trained_kinds):
    from netorigin.inference import case_report, score_cases

    model = trained_kinds["latent-class"].model
    r = case_report(
        score_cases(model, {"proc_ct_mri": "seen_pancreas"}, target_prior="unknown-primary", advice=False), 0
    )
    assert any("does not describe this case" in w for w in r["warnings"])
    plain = case_report(score_cases(model, {}, target_prior="unknown-primary", advice=False), 0)
    assert r["probabilities"]["pancreatic"] > plain["probabilities"]["pancreatic"]


def test_cases_drawn_in_the_setting_have_every_assumed_procedure_negative():
    cases = make_synthetic_cohort(3000, scenario="unknown-primary", random_state=9, workup="referral")
    for f in default_literature().assumptions("unknown-primary"):
        recorded = cases[f].dropna().astype(str)
        assert len(recorded) > 1000 and (recorded == "negative").all()
    assert (cases["proc_eus"].dropna().astype(str) != "negative").any()  # others are drawn as they come


def _by_hand(rows, subsite, site, field):
    """A row's value for a sub-site, by the file's rule: sub-site > site > '*'."""
    table = {(r["parameter"], r["site"]): float(r["value"]) for r in rows}
    for key in (subsite, site, "*"):
        if (field, key) in table:
            return table[(field, key)]
    raise KeyError(field)


def test_the_setting_mix_is_derived_from_the_parameter_rows():
    """The archive mix x P(every assumed procedure negative | sub-site), normalised, recomputed here
    from the CSV rows themselves (P(negative) = (1 - sensitivity)(1 - false positives); the false
    positives are the same for every sub-site and cancel)."""
    from netorigin.contract import DETAIL_TO_SITE, SUBSITES

    with open(ROOT / "data" / "synthetic" / "parameters.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(ROOT / "data" / "synthetic" / "scenarios.csv", newline="") as fh:
        scen = list(csv.DictReader(fh))
    assumed = [r["site"] for r in scen if r["scenario"] == "unknown-primary" and r["level"] == "assumed_negative"]
    archive = {(r["level"], r["site"]): float(r["value"]) for r in scen if r["scenario"] == "liver-met-archive"}
    weight = {}
    for site, subs in SUBSITES.items():
        within = sum(archive[("subsite", s)] for s in subs)
        for s in subs:
            miss = 1.0
            for f in assumed:
                sens = _by_hand(rows, s, DETAIL_TO_SITE[s], f"rate:{f}=seen")
                fp = _by_hand(rows, s, DETAIL_TO_SITE[s], f"rate:{f}=false_positive")
                miss *= (1 - sens) * (1 - fp)
            weight[s] = archive[("class", site)] * archive[("subsite", s)] / within * miss
    total = sum(weight.values())
    want = {site: sum(weight[s] for s in subs) / total for site, subs in SUBSITES.items()}
    got = derive_setting_mix(setting="unknown-primary")
    assert set(got["assumed"]) == set(assumed) and len(assumed) == 4
    for site in SITES:
        assert got["sites"][site] == pytest.approx(want[site], rel=1e-9)
    # what docs/synthetic.md says of it
    assert got["sites"]["ileal"] == pytest.approx(0.610, abs=0.0005)
    assert got["sites"]["other"] == pytest.approx(0.281, abs=0.0005)


def test_the_derivation_command_prints_the_tables_the_docs_quote():
    r = run("synth", "--setting-mix", "unknown-primary", "--worlds", "20")
    assert r.returncode == 0, r.stderr
    assert "| ileal | 41.3% | 61.0% |" in r.stdout and "stated inside" in r.stdout
    bad = run("synth", "--setting-mix", "liver-met-archive", "--worlds", "20")
    assert bad.returncode == 2 and "assumes no procedure negative" in bad.stderr


def test_two_procedures_that_confirm_primaries_in_different_places_are_named():
    v = validate_case({"proc_eus": "confirmed_pancreas", "proc_colonoscopy": "confirmed_rectum"})
    assert any(n.kind == "inconsistent" and "different places" in n.message for n in v.notices)
    same = validate_case({"proc_capsule": "confirmed_small_bowel", "proc_colonoscopy": "confirmed_terminal_ileum"})
    assert not any("different places" in n.message for n in same.notices)


# ----------------------------------------------------------------------------- advice
SEED_HOSPITAL = {"proc_eus": "no", "proc_capsule": "no", "proc_enteroscopy": "no"}  # what it could not offer


def _lab(tmp_path, unavailable):
    import pandas as pd

    from netorigin.io import data_path

    table = pd.read_csv(str(data_path("tests.csv")))
    table.loc[table["test"].isin(list(unavailable)), "available"] = "no"
    path = tmp_path / "lab.csv"
    table.to_csv(path, index=False)
    return str(path)


def test_the_advice_weighs_procedures_beside_stains_never_one_the_lab_lacks_or_the_setting_holds_done(
    default_model, tmp_path
):
    """The advice ranks procedures with stains: each with its invasiveness and its chance of showing
    a primary; the unknown-primary setting's routine procedures (held negative) are never advised;
    a lab's table that lacks EUS and capsule (the seed hospital) never sees them advised."""
    from netorigin.inference import case_report, next_tests, score_cases
    from netorigin.inference._words import advice_text

    case = {"ihc_cdx2": "negative", "ihc_isl1": "positive", "ihc_pax8": "positive", "age_years": 58}
    table = _case(**case)
    advice = next_tests(default_model, table, target_prior="unknown-primary", top=99)[0]
    named = {d["test"]: d for d in advice}
    held = set(default_literature().assumptions("unknown-primary"))
    assert not held & set(named) and {"proc_eus", "proc_capsule", "proc_chest_ct"} <= set(named)
    eus = named["proc_eus"]
    assert eus["invasiveness"] == "moderate" and 0.05 < eus["chance_shows_primary"] < 1
    shown = sum(r["probability"] for r in eus["results"] if not r["result"].startswith("negative"))
    assert eus["chance_shows_primary"] == pytest.approx(shown, abs=1e-12)
    assert "ihc_cdx2" not in named and "chance_shows_primary" not in named["ihc_satb2"]
    # a confirmed pancreas primary, as the line says, is what re-scoring gives
    confirmed = next(r for r in eus["results"] if r["entered"] == {"proc_eus": "confirmed_pancreas"})
    again = case_report(score_cases(default_model, {**case, "proc_eus": "confirmed_pancreas"}), 0)
    assert confirmed["probabilities"] == pytest.approx(again["probabilities"], abs=1e-12)
    assert confirmed["result"] == "pancreas primary confirmed by histology"
    lab = _lab(tmp_path, SEED_HOSPITAL)
    res = score_cases(default_model, case, tests=lab, panel=2)
    offered = {d["test"] for d in res.advice[0]} | {t for d in res.panels[0] for t in d["tests"]}
    assert not offered & set(SEED_HOSPITAL)
    advised = case_report(score_cases(default_model, case), 0)["next_tests"]
    assert any(d["test"].startswith("proc_") for d in advised)
    for d in advised:
        said = advice_text(d)
        assert ("chance it shows a primary" in said) == d["test"].startswith("proc_"), said
        assert ("invasive" in said) == (d["invasiveness"] != "none"), said


def test_the_exact_advice_names_a_procedure_when_one_is_the_best_next_step():
    """In the literature's world a case that points at the pancreas after a negative routine work-up
    has EUS as its exact best next step (the oracle the advice benchmark measures against)."""
    from netorigin.inference._value import exact_next_tests

    case = _case(
        ihc_cdx2="negative", ihc_isl1="positive", ihc_pax8="positive", ihc_pdx1="positive", ihc_satb2="negative"
    )
    best = exact_next_tests(case, "unknown-primary", top=3)[0]
    assert best[0]["test"] == "proc_eus", [d["test"] for d in best]
    assert not {d["test"] for d in exact_next_tests(case, "unknown-primary", top=99)[0]} & set(
        default_literature().assumptions("unknown-primary")
    )


def test_a_procedure_counts_as_its_likelihood_under_the_models_own_cells_whatever_stands_beside_it(trained_kinds):
    """The classifier kinds read procedures as evidence from the model's fitted cells: entering a
    result moves each label's log-probability by log P(result | label) under those cells (up to
    one constant), whatever findings stand beside it; the reasons name it, and they add up."""
    from netorigin.literature._procedures import procedure_table

    model = trained_kinds["xgboost"].model
    assert not {f for f in PROCEDURE_FIELDS if f in model.cells_.classifier_fields}
    cells = model.cells_.literature().model
    labels = list(model.labels_)
    for findings in ({"ihc_cdx2": "negative", "ihc_isl1": "positive"}, {"ihc_cdx2": "positive"}, {}):
        for proc, value in (("proc_capsule", "confirmed_small_bowel"), ("proc_eus", "negative")):
            before = model.forward(_case(**findings, age_years=60), target_prior="liver-met-archive")
            after = model.forward(
                _case(**findings, age_years=60, **{proc: value}), target_prior="liver-met-archive", reasons=True
            )
            P = procedure_table(cells, proc)[:, FIELDS[proc].values.index(value)]
            like, keep = np.zeros(len(labels)), []  # the sub-site labels (an unspecified other is a mix)
            for k, lab in enumerate(labels):
                own = [c for c, (_, sub, _) in enumerate(cells.cells) if sub == lab]
                if own and min(before.label_proba[0, k], after.label_proba[0, k]) > 1e-200:  # allowed, not underflowed
                    w = np.asarray(cells.phenotype_weight)[own]
                    like[k] = (w * P[own]).sum() / w.sum()
                    keep += [k] if like[k] > 1e-200 else []
            moved = np.log(after.label_proba[0, keep]) - np.log(before.label_proba[0, keep]) - np.log(like[keep])
            assert len(keep) >= 3
            np.testing.assert_allclose(moved - moved.mean(), 0, atol=1e-9)
            ex = after.explanation
            assert proc in ex.fields
            np.testing.assert_allclose(
                ex.terms[0].sum(axis=0) + ex.prior[0] + ex.baseline[0] + ex.calibration[0], ex.total[0], atol=1e-9
            )


def test_a_cohort_gets_its_next_tests_from_the_lab_table_and_a_bad_table_or_pipeline_key_is_refused(tmp_path):
    """score --tests reaches a cohort as it reaches one case (it was ignored for cohorts); a lab
    table whose invasiveness is not a level, or a pipeline naming a table that is not there, is
    refused by name with exit code 2 before any scoring."""
    import pandas as pd

    cases = pd.DataFrame(
        {
            "case_id": [f"c{i}" for i in range(6)],
            "ihc_cdx2": ["negative"] * 6,
            "ihc_isl1": ["positive"] * 6,
            "ihc_pax8": ["positive", "negative"] * 3,
        }
    )
    path = tmp_path / "cohort.csv"
    cases.to_csv(path, index=False)
    full, seed = tmp_path / "full.csv", tmp_path / "seed.csv"
    assert run("score", path, "-o", full).returncode == 0
    assert "endoscopic ultrasound (EUS)" in set(pd.read_csv(full)["next_test"])  # the best step where offered
    lab = _lab(tmp_path, SEED_HOSPITAL)
    r = run("score", path, "-o", seed, "--tests", lab)
    assert r.returncode == 0, r.stderr
    named = set(pd.read_csv(seed)["next_test"])
    assert not any("EUS" in str(x) or "capsule" in str(x) or "enteroscopy" in str(x) for x in named), named
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "test,available,cost,turnaround_days,invasiveness,status,source\nproc_eus,yes,3,2,extreme,assumed,x\n"
    )
    r = run("score", path, "-o", tmp_path / "x.csv", "--tests", bad)
    assert r.returncode == 2 and "line 2: invasiveness: 'extreme' is not one of none, low, moderate, high" in r.stderr
    cfg = (ROOT / "pipelines" / "seed_cohort.yaml").read_text()
    p = tmp_path / "p.yaml"
    p.write_text(
        cfg.replace("tests: data/examples/seed_hospital_tests.csv", f"tests: {tmp_path / 'missing.csv'}")
        .replace("path: data/seed_cohort.csv", f"path: {ROOT / 'data' / 'seed_cohort.csv'}")
        .replace("model: data/models/default", f"model: {ROOT / 'data' / 'models' / 'default'}")
        .replace("output: benchmarks/results/seed_cohort.md", f"output: {tmp_path / 'out.md'}")
    )
    r = run("run", p, "--no-track")
    assert r.returncode == 2 and "missing.csv: no such file" in r.stderr and not (tmp_path / "out.md").exists()
