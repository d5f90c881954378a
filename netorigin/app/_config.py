"""The pipeline config (``pipelines/*.yaml``) as pydantic models: one per task, every setting
typed, ranged and described, unknown settings refused (``extra="forbid"``). ``netorigin schema
--of pipeline`` prints their JSON Schema; a refusal names the setting, the value and what was
expected (exit code 2 from the command line, no traceback).

Imported when a config is read (``netorigin run``), never when a case is scored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError

from ..exceptions import InputError
from ._ranges import _ranges

_RANGES = _ranges()


def _ranged(key: str, kind: type):
    """A number of the setting ``key`` within its range (the one table of ranges, _ranges.py)."""
    lo, hi = _RANGES[key]
    return Annotated[kind, Field(ge=lo, le=hi)]


class _Settings(BaseModel):
    # strict: a whole number is not "3" or 3.0 or true; text is not a number
    model_config = ConfigDict(extra="forbid", strict=True)


class Synthetic(_Settings):
    """A synthetic cohort drawn from the literature's model (as ``netorigin synth``)."""

    n: _ranged("data.synthetic.n", int) = Field(description="cases to draw")
    scenario: str = Field("liver-met-archive", description="the scenario (the site mix): netorigin synth --help")
    seed: _ranged("data.synthetic.seed", int) = Field(0, description="random seed")
    label_noise: _ranged("data.synthetic.label_noise", float) = Field(0.0, description="share of labels at random")
    workup: str = Field("routine", description="which tests the cases had (routine, mixture, ...)")
    worlds: _ranged("data.synthetic.worlds", int) | None = Field(
        None, description="plausible worlds, each figure drawn from its uncertainty"
    )
    structure: str | None = Field(None, description="how findings travel together within a site (needs worlds)")

    @model_validator(mode="after")
    def _structure_needs_worlds(self):
        if self.structure is not None and self.worlds is None:
            raise ValueError(f"structure: {self.structure!r} needs worlds")
        return self


class Data(_Settings):
    """The cohort: a file (with a column mapping, optionally), or a synthetic cohort."""

    path: str | None = Field(None, description="a cohort file (CSV, TSV, Excel, Parquet)")
    mapping: str | None = Field(None, description="a column mapping for that file (netorigin map suggest)")
    synthetic: Synthetic | None = None

    @model_validator(mode="after")
    def _one_source(self):
        given = self.model_fields_set
        if not given or not (given <= {"path", "mapping"} or given == {"synthetic"}) or given == {"mapping"}:
            raise ValueError("give either path: FILE (optionally mapping: FILE) or synthetic: {n, scenario, seed}")
        return self


class ModelSpec(_Settings):
    """The model to train."""

    kind: str | None = Field(None, description="a model kind (netorigin train --help lists them); xgboost if absent")
    random_state: _ranged("model.random_state", int) = Field(0, description="random seed of the model")
    params: dict[str, Any] | None = Field(None, description="hyper-parameters of that kind")


def _kind_name(value):
    return {"kind": value} if isinstance(value, str) else value


class _Pipeline(_Settings):
    name: str | None = Field(None, description="the run's name")
    version: _ranged("version", int) | None = Field(None, description="the config's own version")
    description: str | None = Field(None, description="what the pipeline is for")
    output: str | None = Field(None, description="where the results go")


_BOOTSTRAP = "bootstrap resamples for the confidence intervals of the metrics"


class TrainConfig(_Pipeline):
    """``task: train``: build a model, save the bundle, log it (and register it)."""

    task: Literal["train"]
    data: Data | None = None
    model: Annotated[ModelSpec | None, BeforeValidator(_kind_name, json_schema_input_type=ModelSpec | str | None)] = (
        Field(None, description="the model: a kind's name, or kind, random_state, params")
    )
    target_prior: str | None = Field("training", description="the deployment prior (a setting name or 'a,b,c')")
    bayes_scenario: str | None = Field(
        None, description="the scenario whose exact posterior is logged beside (absent: the synthetic cohort's)"
    )
    # (BaseModel has a register method: the setting's name is the field's alias)
    register_as: str | None = Field(None, alias="register", description="register the model under this name (MLflow)")
    alias: str = Field("champion", description="the registered version's alias")
    n_bootstrap: _ranged("n_bootstrap", int) = Field(200, description=_BOOTSTRAP)
    cv: _ranged("cv", int) = Field(5, description="cross-fitting folds of the calibration")


class BenchmarkConfig(_Pipeline):
    """``task: benchmark``: every model kind side by side against the exact Bayes posterior."""

    task: Literal["benchmark"]
    scenarios: list[str] = Field(["liver-met-archive", "unknown-primary"], description="the synthetic scenarios")
    train_n: _ranged("train_n", int) = Field(20_000, description="training cases per scenario")
    test_n: _ranged("test_n", int) = Field(50_000, description="test cases per scenario")
    seed: _ranged("seed", int) = Field(0, description="random seed")
    models: list[str] | None = Field(None, description="the model kinds (all if absent)")
    n_bootstrap: _ranged("n_bootstrap", int) = Field(0, description=_BOOTSTRAP)


class ScoreConfig(_Pipeline):
    """``task: score``: score a cohort with a saved model and write a Markdown report."""

    task: Literal["score"]
    data: Data | None = None
    model: str | None = Field(None, description="a bundle folder, or models:/NAME@ALIAS (absent: the shipped model)")
    target_prior: str | None = Field(None, description="the deployment prior (absent: the model's own)")
    coverage: _ranged("coverage", float) = Field(0.9, description="the coverage of the prediction sets")
    tests: str | None = Field(None, description="a CSV of the tests that can be ordered (and their costs)")


TASKS: dict[str, type[_Pipeline]] = {"train": TrainConfig, "benchmark": BenchmarkConfig, "score": ScoreConfig}


def check_config(cfg: dict, where) -> dict:
    """The settings of a config, checked against its task's model, with the model's defaults for
    those not given (a setting given as null stays null); or an :class:`InputError` naming the
    setting, the value and what was expected."""
    task = cfg.get("task")
    if not isinstance(task, str) or task not in TASKS:
        raise InputError(f"{where}: task: {task!r} is not one of {', '.join(TASKS)}")
    try:
        checked = TASKS[task].model_validate(cfg)
    except PydanticError as err:
        raise InputError(f"{where}: {_refusal(err.errors(include_url=False), TASKS[task])}") from None
    given = {f.alias or n for n, f in type(checked).model_fields.items() if n in checked.model_fields_set}
    settings = {k: v for k, v in checked.model_dump(by_alias=True).items() if v is not None or k in given}
    for key in ("data", "model"):  # within these, null is absent
        if isinstance(getattr(checked, key, None), BaseModel):
            settings[key] = getattr(checked, key).model_dump(exclude_none=True)
    return settings


_WORDS = {
    "int_type": "a whole number",
    "float_type": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of settings",
    "model_type": "a mapping of settings",
}
_SAID = {"model": "a model kind's name, or a mapping of kind, random_state, params"}


def _refusal(errors: list[dict], model: type[BaseModel]) -> str:
    """The first problem in words: ``key: value is not what was expected``; unknown settings all
    named, with the settings expected there."""
    extra = [e["loc"] for e in errors if e["type"] == "extra_forbidden"]
    if extra:
        parent = extra[0][:-1]
        names = sorted(str(loc[-1]) for loc in extra if loc[:-1] == parent)
        known = [f.alias or name for name, f in _model_at(model, parent).model_fields.items()]
        if not parent:
            task = model.model_fields["task"].annotation.__args__[0]
            known = sorted(known)
            return f"unknown setting(s) {', '.join(names)} for task {task!r}; expected some of {', '.join(known)}"
        return f"{_dotted(parent)}: unknown setting(s) {', '.join(names)}; expected {', '.join(known)}"
    e = errors[0]
    key, value = _dotted(e["loc"]), e["input"]
    if e["type"] == "value_error":
        return f"{key}: {e['ctx']['error']}" if key else str(e["ctx"]["error"])
    if e["type"] == "missing":
        return f"{key}: missing; it is required"
    if e["type"] in ("greater_than_equal", "less_than_equal") and key in _RANGES:
        lo, hi = _RANGES[key]
        return f"{key}: {value!r} is not from {lo:,} to {hi:,}"
    if e["type"] == "literal_error":
        return f"{key}: {value!r} is not {e['ctx']['expected']}"
    said = _SAID.get(key) or _WORDS.get(e["type"]) or e["msg"][0].lower() + e["msg"][1:]
    return f"{key}: {value!r} is not {said}"


def _dotted(loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _model_at(model: type[BaseModel], loc) -> type[BaseModel]:
    """The settings model at ``loc`` (data -> Data, data.synthetic -> Synthetic)."""
    import typing

    for part in loc:
        ann = model.model_fields[part].annotation
        found = [a for a in (ann, *typing.get_args(ann)) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = found[0]
    return model


def pipeline_json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a pipeline config, one branch per task."""
    from typing import Union

    from pydantic import TypeAdapter

    union = Annotated[Union[TrainConfig, BenchmarkConfig, ScoreConfig], Field(discriminator="task")]  # noqa: UP007
    schema = TypeAdapter(union).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "netorigin pipeline config (pipelines/*.yaml, netorigin run)",
        "description": "One task (train, benchmark or score) and its settings; relative paths are taken from "
        "the working folder. Unknown settings are refused.",
        **schema,
    }


def pipeline_markdown() -> str:
    """The settings of each task as a Markdown table, read from :func:`pipeline_json_schema`."""
    schema = pipeline_json_schema()
    defs = schema["$defs"]
    out = []
    for name in TASKS.values():
        d = defs[name.__name__]
        out += [d["description"], "", "| setting | accepts | default | meaning |", "|---|---|---|---|"]
        out += [*_rows(d, defs, ""), ""]
    return "\n".join(out).replace("``", "`")


def _rows(d: dict, defs: dict, prefix: str) -> list[str]:
    rows = []
    for key, prop in d["properties"].items():
        branches = prop.get("anyOf", [prop])
        nested = [defs[b["$ref"].split("/")[-1]] for b in branches if "$ref" in b]
        words = " or ".join(_accepts(b) for b in branches)
        default = "" if "default" not in prop or prop["default"] is None else f"`{_short(prop['default'])}`"
        required = " (required)" if key in d.get("required", ()) and key != "task" else ""
        meaning = (prop.get("description") or (nested[0].get("description", "") if nested else "")) + required
        rows.append(f"| `{prefix}{key}` | {words} | {default} | {meaning.replace('|', '/')} |")
        for sub in nested:
            rows += _rows(sub, defs, f"{prefix}{key}.")
    return rows


def _accepts(b: dict) -> str:
    """One branch of a setting's schema in words."""
    if "$ref" in b:
        return "the settings below"
    if "const" in b:
        return f"`{b['const']}`"
    kind = {"integer": "a whole number", "number": "a number", "string": "text", "null": "null"}.get(b.get("type"))
    if b.get("type") == "array":
        return "a list of " + {"string": "names"}.get(b.get("items", {}).get("type"), "values")
    if b.get("type") == "object":
        return "a mapping"
    if "minimum" in b and "maximum" in b:
        return f"{kind} from {b['minimum']:,} to {b['maximum']:,}"
    return kind or str(b)


def _short(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
