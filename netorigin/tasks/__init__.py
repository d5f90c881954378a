"""Tasks described by versioned YAML configs (``pipelines/*.yaml``), each run by ``netorigin run``
and tracked: train a model, benchmark every kind, score a cohort into a report."""

from ._tasks import load_config, run_task


def pipeline_json_schema() -> dict:
    """The JSON Schema of a pipeline config (the config models' own; imports pydantic)."""
    from ._config import pipeline_json_schema as schema

    return schema()


def pipeline_markdown() -> str:
    """The settings of a pipeline config as Markdown tables, one per task (from the JSON Schema)."""
    from ._config import pipeline_markdown as table

    return table()


__all__ = ["load_config", "pipeline_json_schema", "pipeline_markdown", "run_task"]
