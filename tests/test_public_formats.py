"""`netorigin import cbioportal` and `netorigin import geo` on small files in those formats,
written here; the cohorts they give validate, and what was transformed is said."""

import re

import numpy as np
import pandas as pd
import pytest
from _helpers import run

from netorigin.io import import_cbioportal, import_geo, load_cohort


def _study(root):
    root.mkdir()
    (root / "data_clinical_sample.txt").write_text(
        "#Patient Identifier\tSample Identifier\tPrimary Site\n#x\tx\tx\n#STRING\tSTRING\tSTRING\n#1\t1\t1\n"
        "PATIENT_ID\tSAMPLE_ID\tPRIMARY_SITE\n"
        "P1\tS1\tSmall Intestine\nP2\tS2\tPancreas\nP3\tS3\tLung\nP4\tS4\tLiver (unknown primary)\n"
    )
    (root / "data_clinical_patient.txt").write_text(
        "#Patient\tAge\tSex\n#x\tx\tx\n#STRING\tNUMBER\tSTRING\n#1\t1\t1\nPATIENT_ID\tAGE\tSEX\n"
        "P1\t61\tFemale\nP2\t55\tMale\nP3\t70\tMale\nP4\t48\tFemale\n"
    )
    (root / "data_mrna_seq_tpm.txt").write_text(
        "Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\tS3\n"
        "CD302\t9936\t15.0\t120.0\t40.0\nPPWD1\t23398\t80.0\t10.0\t33.0\nGAPDH\t2597\t900\t800\t1000\n"
    )
    (root / "data_mutations.txt").write_text(
        "#version 2.4\nHugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\n"
        "DAXX\tS2\tFrame_Shift_Del\nATRX\tS3\tSilent\nMEN1\tS1\tNonsense_Mutation\n"
    )
    return root


def test_a_cbioportal_study_becomes_a_contract_cohort(tmp_path):
    table, notes = import_cbioportal(_study(tmp_path / "study"), mutations=True)
    assert list(table["case_id"]) == ["S1", "S2", "S3", "S4"]
    assert list(table["primary_site"]) == ["ileal", "pancreatic", "other", ""]
    assert list(table["primary_site_detail"]) == ["", "pancreas", "lung", ""]  # "Small Intestine" names no sub-site
    assert table.loc[0, "expr_cd302"] == pytest.approx(np.log2(16.0))
    assert pd.isna(table.loc[3, "expr_cd302"])  # no expression column for S4: not done
    assert list(table["ihc_daxx_atrx"]) == ["retained", "lost", "retained", ""]  # a silent ATRX change is not loss
    said = " ".join(notes)
    assert "log2(x + 1)" in said and "'Liver (unknown primary)'" in said and "proxy" in said
    assert "1 sample(s) have no expression" in said
    assert "'Small Intestine' -> ileal" in said and "primary_site_detail left blank" in said
    assert "read from the column PRIMARY_SITE" in said


def test_mutations_are_mapped_only_when_asked(tmp_path):
    table, _ = import_cbioportal(_study(tmp_path / "study"))
    assert "ihc_daxx_atrx" not in table.columns


def test_import_cbioportal_writes_a_cohort_that_validates_and_trains(tmp_path):
    _study(tmp_path / "study")
    r = run("import", "cbioportal", str(tmp_path / "study"), "-o", str(tmp_path / "c.csv"), "--mutations")
    assert r.returncode == 0, r.stderr
    assert "wrote 4 cases (3 with a primary site)" in r.stdout and "it validates" in r.stdout
    v = load_cohort(tmp_path / "c.csv")
    assert v.table.loc[1, "primary_site"] == "pancreatic" and v.table.loc[1, "ihc_daxx_atrx"] == "lost"


def _series(path, probes=False):
    ids = ["1552311_a_at", "204439_at"] if probes else ["CD302", "PPWD1"]
    path.write_text(
        '!Series_title\t"NET expression"\n'
        '!Sample_title\t"t1"\t"t2"\t"t3"\n'
        '!Sample_geo_accession\t"GSM1"\t"GSM2"\t"GSM3"\n'
        '!Sample_characteristics_ch1\t"tissue: liver metastasis"\t"tissue: liver metastasis"\t"tissue: liver"\n'
        '!Sample_characteristics_ch1\t"primary site: small intestine"\t"primary site: pancreas"\t"primary site: CUP"\n'
        '!Sample_characteristics_ch1\t"age: 60"\t"age: 52"\t"age: 71"\n'
        "!series_matrix_table_begin\n"
        '"ID_REF"\t"GSM1"\t"GSM2"\t"GSM3"\n'
        f'"{ids[0]}"\t7.5\t9.1\t8.0\n"{ids[1]}"\t10.2\t6.3\t8.8\n'
        "!series_matrix_table_end\n"
    )
    return path


def test_a_geo_series_matrix_becomes_a_contract_cohort(tmp_path):
    table, notes = import_geo(_series(tmp_path / "GSE1_series_matrix.txt"), site_key="primary site")
    assert list(table["case_id"]) == ["GSM1", "GSM2", "GSM3"]
    assert list(table["primary_site"]) == ["ileal", "pancreatic", ""]
    assert list(table["primary_site_detail"]) == ["", "pancreas", ""]
    assert list(table["age_years"]) == ["60", "52", "71"]
    assert table.loc[0, "expr_cd302"] == pytest.approx(7.5)  # already log2: not transformed
    said = " ".join(notes)
    assert "already on a log2 scale" in said and "'CUP'" in said and "not necessarily TPM" in said


def test_geo_probes_are_translated_with_a_probe_map(tmp_path):
    pm = tmp_path / "probes.csv"
    pm.write_text("probe,gene\n1552311_a_at,CD302\n204439_at,PPWD1\n")
    r = run(
        "import",
        "geo",
        str(_series(tmp_path / "s.txt", probes=True)),
        "-o",
        str(tmp_path / "c.csv"),
        "--site-key",
        "primary site",
        "--probe-map",
        str(pm),
    )
    assert r.returncode == 0, r.stderr
    c = pd.read_csv(tmp_path / "c.csv")
    assert c.loc[1, "expr_ppwd1"] == pytest.approx(6.3)


@pytest.mark.parametrize(
    "make, args, message",
    [
        (lambda p: p.write_text("not a matrix\n"), ["geo"], "not a GEO series matrix"),
        (lambda p: _series(p), ["geo", "--site-key", "organ"], "'organ': not a characteristics key"),
        (lambda p: p.mkdir(), ["cbioportal"], "data_clinical_sample.txt: no such file"),
    ],
)
def test_bad_public_files_get_a_clear_error(tmp_path, make, args, message):
    p = tmp_path / "input"
    make(p)
    r = run("import", args[0], str(p), "-o", str(tmp_path / "c.csv"), *args[1:])
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "label, read",
    [
        ("Non-small intestine", None),
        ("not pancreas", None),
        ("Pancreatic metastasis to lung", None),
        ("Midgut", None),
        ("pancreas?", None),
        ("Pancreas (probable)", None),
        ("Small Intestine", ("ileal", None)),
        ("Terminal ileum", ("ileal", "ileum")),
        ("Lung carcinoid", ("other", "lung")),
        ("x" * 5_000_000, None),
    ],
)
def test_site_labels_are_read_by_exact_phrase_never_by_a_word_inside_them(label, read):
    from netorigin.io._public import site_of_label

    assert site_of_label(label) == read


def _minimal_study(root, sample_extra="", patient=None, maf=None):
    root.mkdir()
    (root / "data_clinical_sample.txt").write_text(
        "PATIENT_ID\tSAMPLE_ID\tPRIMARY_SITE\nP1\tS1\tPancreas\nP2\tS2\t" + ("x" * 5_000_000) + "\n" + sample_extra
    )
    if patient is not None:
        (root / "data_clinical_patient.txt").write_text(patient)
    if maf is not None:
        (root / "data_mutations.txt").write_text(maf)
    return root


def test_a_long_label_is_shortened_in_the_notes(tmp_path):
    _, notes = import_cbioportal(_minimal_study(tmp_path / "s"))
    said = " ".join(notes)
    assert "xxxxx..." in said and len(said) < 2000


@pytest.mark.parametrize(
    "patient, maf, message",
    [
        ("AGE\tSEX\n61\tF\n", None, "no PATIENT_ID column"),
        ("PATIENT_ID\tAGE\nP1\t61\nP1\t62\n", None, "'P1' appear(s) more than once"),
        (None, "Tumor_Sample_Barcode\tVariant_Classification\nS1\tSilent\n", "no Hugo_Symbol column"),
    ],
)
def test_cbioportal_files_missing_their_keys_are_refused_by_name(tmp_path, patient, maf, message):
    from netorigin.exceptions import InputError

    with pytest.raises(InputError, match=re.escape(message)):
        import_cbioportal(_minimal_study(tmp_path / "s", patient=patient, maf=maf), mutations=maf is not None)


def test_daxx_variant_classes_are_compared_without_case_and_unknown_ones_left_not_done(tmp_path):
    maf = (
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\nDAXX\tS1\tsilent\n"
        "ATRX\tS2\tFrameshift (odd spelling)\n"
    )
    table, notes = import_cbioportal(_minimal_study(tmp_path / "s", maf=maf), mutations=True)
    assert list(table["ihc_daxx_atrx"]) == ["retained", ""]
    assert "left not done rather than guessed" in " ".join(notes)


@pytest.mark.parametrize("kind", ["folder", "fifo", "devzero"])
def test_an_expression_file_that_is_not_a_file_is_refused(tmp_path, kind):
    import os

    from netorigin.exceptions import InputError

    root = _minimal_study(tmp_path / "s")
    target = root / "data_mrna_seq_tpm.txt"
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="not a regular file"):
        import_cbioportal(root)


def test_expression_columns_matching_no_sample_are_said(tmp_path):
    root = _minimal_study(tmp_path / "s")
    (root / "data_mrna_seq_tpm.txt").write_text("Hugo_Symbol\tS1\tS9\nCD302\t1\t2\nPPWD1\t3\t4\n")
    _, notes = import_cbioportal(root)
    said = " ".join(notes)
    assert "1 expression column(s) of data_mrna_seq_tpm.txt match no sample" in said and "'S9'" in said


def test_geo_says_which_key_it_read_and_refuses_a_key_on_two_lines(tmp_path):
    from netorigin.exceptions import InputError

    table, notes = import_geo(_series(tmp_path / "a.txt"))
    assert "read from the characteristics key 'tissue'" in " ".join(notes)
    assert "'primary site'" in " ".join(notes)  # the other candidate is named
    p = tmp_path / "b.txt"
    p.write_text(_series(tmp_path / "c.txt").read_text().replace("age: ", "tissue: "))
    with pytest.raises(InputError, match="'tissue' is on two lines"):
        import_geo(p)


def test_an_expression_value_that_is_not_a_number_is_counted_not_silently_dropped(tmp_path):
    """The matrix's cells are read as the contract reads a number: NA is not done, and '12,5' (a
    decimal comma) is not a number, so not done too, and said."""
    root = _minimal_study(tmp_path / "s")
    (root / "data_mrna_seq_tpm.txt").write_text("Hugo_Symbol\tS1\tS2\nCD302\t12,5\tNA\nPPWD1\t3\t1e1\n")
    out, notes = import_cbioportal(root)
    said = " ".join(notes)
    assert "1 expression value(s) that are not numbers left not done: '12,5'" in said
    assert out["expr_cd302"].isna().all() and out["expr_ppwd1"].notna().all()
