"""Names of a package imported when first asked for (PEP 562), so that a floor whose other
modules read pandas, scikit-learn or MLflow does not make scoring one case pay for them."""

from __future__ import annotations

from importlib import import_module


def lazy_names(package: str, names: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each exported name to its module.

    Examples
    --------
    >>> getattr_, dir_ = lazy_names("netorigin.training", {"train": "_train"})
    >>> "train" in dir_(), getattr_("train").__name__
    (True, 'train')
    """

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = import_module(f"{package}.{names[name]}")
        value = getattr(module, name)
        setattr(import_module(package), name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(import_module(package))) | set(names))

    return __getattr__, __dir__
