"""The ``netorigin`` command line. Thin: each command parses its arguments, calls one library
function and renders the result; one small module per command.

Bad input exits with code 2 and a message naming the field, the value and what was expected,
never a traceback.
"""

from __future__ import annotations

import click

from .._version import __version__
from ._common import configure_process


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="netorigin")
def main():
    """netorigin: predict the primary site (ileal, pancreatic, other) of a well-differentiated
    neuroendocrine tumour found as liver metastases. For research use only: trained on synthetic
    data, not validated on patients."""
    configure_process()


from . import _cohort, _compare, _evaluate, _import, _map, _run, _schema, _score, _serve, _synth, _train, _validate  # noqa: E402

for _module in (_validate, _schema, _map, _import, _cohort, _synth, _train, _evaluate, _compare, _run, _score, _serve):
    _module.register(main)

__all__ = ["main"]
