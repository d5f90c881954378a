"""Optional parts of netorigin, each an extra of the package: a missing one is an error that names
the extra to install, never an ImportError from deep inside."""

from __future__ import annotations

from importlib import import_module

from .exceptions import InputError

# what each extra is for, said in the error
EXTRAS = {
    "serve": "the web page and API (netorigin serve)",
    "tracking": "MLflow tracking, the model registry and figures",
    "parquet": "Parquet files",
    "dask": "the Dask engine",
}


def require(module: str, extra: str):
    """Import ``module``, or refuse naming the extra that installs it.

    >>> require("json", "serve").__name__
    'json'
    """
    try:
        return import_module(module)
    except ImportError:
        raise InputError(
            f"{EXTRAS.get(extra, extra)} needs the optional part {extra!r} of netorigin, which is not "
            f"installed here ({module} is missing): pip install 'netorigin[{extra}]'"
        ) from None
