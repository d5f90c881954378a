"""Bundled data: the seed paper's seven patients, example cases, the synthetic world's parameter
files and the shipped model.

The files live in the repository's top-level ``data/`` folder, which the wheel ships as the
package ``netorigin.data`` (a package-dir mapping; no symbolic link), found through
:mod:`importlib` like any package. ``NETORIGIN_DATA`` may point to another folder with the same layout.
"""

from ._paths import data_path, default_model_path, example_case_path, load_seed_cohort

__all__ = ["data_path", "default_model_path", "example_case_path", "load_seed_cohort"]
