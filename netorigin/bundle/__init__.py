"""Bundles: a fitted model as a folder of JSON, CSV and xgboost UBJ files, checked on every read."""

from ._bundle import BUNDLE_FORMAT_VERSION, load_bundle, save_bundle

__all__ = ["BUNDLE_FORMAT_VERSION", "load_bundle", "save_bundle"]
