"""Tasks described by versioned YAML configs (``pipelines/*.yaml``), each run by ``netorigin run``
and tracked: train a model, benchmark every kind, score a cohort into a report."""

from ._tasks import load_config, run_task

__all__ = ["load_config", "run_task"]
