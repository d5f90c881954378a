"""The JSON request bodies of the API as pydantic models, so that ``/openapi.json`` says what
``POST /api/score`` accepts: every field of the case contract with its values, unit and words.

The case model is built from the contract (:data:`~netorigin.contract.FIELDS`), never written out
by hand: a field added to the contract is a field of the API. Its values are read by the
contract's own validation (one validation, one set of messages: synonyms such as ``pos`` or
``+``, units such as ``35 mm``, names in any case, every problem at once); the model then holds
the canonical values, checked against the types it documents.

Imported by the server only: scoring a case from the command line never imports pydantic.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, model_validator
from pydantic import ValidationError as PydanticError

from ..contract import FIELDS, MITOSES_BANDS, ValidatedCohort, validate_case
from ..exceptions import InputError, NetoriginError

_GENE = "^expr_[A-Za-z0-9][A-Za-z0-9._-]*$"  # any other gene's expression (the contract's expr_<GENE>)


class _CaseBase(BaseModel):
    """One case: field -> value; absent, null or a not-done word = not done / not known."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # JSON Schema: additionalProperties (false) applies to keys neither listed nor matching this
            "patternProperties": {
                _GENE: {"anyOf": [{"type": "number", "minimum": 0, "maximum": 30}, {"type": "null"}]}
            },
        },
    )
    _validated: ValidatedCohort | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _read_by_the_contract(cls, data: Any, handler):
        """The contract reads the case (its messages name the field, the value and what was
        expected); the model takes the canonical values it gives."""
        if isinstance(data, cls):
            return data
        validated = validate_case(data)  # a ValueError: pydantic keeps it, and house_error finds it
        cols = validated.cases
        case = handler({c: _scalar(cols[c][0]) for c in cols.columns if c in cls.model_fields})
        case._validated = validated
        return case

    @property
    def validated(self) -> ValidatedCohort:
        """The case as the contract read it (canonical values, notices), for scoring."""
        return self._validated


def _scalar(v):
    """A canonical value as the model holds it (None for not done)."""
    if isinstance(v, float) or hasattr(v, "dtype"):
        v = float(v)
        return None if v != v else v
    return v


def _annotation(f):
    """The type a contract field documents: its canonical values, or a number in its range."""
    if f.kind == "category":
        return Literal[tuple(f.allowed)] | None
    if f.kind == "number":
        bounds = {"gt" if f.exclusive_minimum else "ge": f.minimum, "le": f.maximum}
        return Annotated[float, Field(**{k: v for k, v in bounds.items() if v is not None})] | None
    if f.kind == "mitoses":
        return Annotated[float, Field(ge=0)] | Literal[MITOSES_BANDS] | None
    return str | int | None


def _description(f) -> str:
    unit = f" [{f.unit}]" if f.unit else ""
    read = f"; also read: {', '.join(f.readings)}" if f.readings else ""
    return f"{f.description}{unit}; {f.expected()}{read}"


@cache
def case_model() -> type[BaseModel]:
    """The case as a pydantic model: one optional field per contract field, in contract order."""
    from pydantic import create_model

    fields = {
        name: (_annotation(f), Field(default=None, description=_description(f), title=name))
        for name, f in FIELDS.items()
    }
    return create_model(
        "Case",
        __base__=_CaseBase,
        __doc__=(
            "One case: contract field -> value (netorigin schema lists them). Absent, null or a not-done "
            "word (ND, not done, n/a) = not done / not known, never negative. The values listed are the "
            "canonical ones; the contract's synonyms (pos, +, neg, M/F, y/n), units (35 mm) and field names "
            "in any case are read too. expr_<GENE>: any other gene's expression, log2(TPM + 1)."
        ),
        **fields,
    )


_OPTIONS = {  # option -> (what it is, what it accepts: the words of a refusal)
    "target_prior": ("the deployment prior", "a setting name or 'a,b,c'"),
    "coverage": ("the coverage of the prediction set", "a number between 0.5 and 0.99"),
    "score_anyway": ("score a case outside the intended use, with the warning on top", "true or false"),
}


@cache
def request_model() -> type[BaseModel]:
    """``{"case": {...}, "target_prior": ..., "coverage": ..., "score_anyway": ...}``."""
    from pydantic import create_model

    def said(name, **kw):
        return Field(description=f"{_OPTIONS[name][0]}: {_OPTIONS[name][1]}", **kw)

    return create_model(
        "ScoreRequest",
        __config__=ConfigDict(extra="forbid"),
        __doc__="A case with options; a bare case (field: value) is scored with the server's own.",
        case=(case_model(), Field(description="the case")),
        target_prior=(str | None, said("target_prior", default=None)),
        coverage=(Annotated[float, Field(ge=0.5, le=0.99)] | None, said("coverage", default=None)),
        score_anyway=(StrictBool, said("score_anyway", default=False)),
    )


class ErrorAnswer(BaseModel):
    """A request that is not scored (422): what was wrong, and the model that would have scored it."""

    error: str = Field(description="the field, the value and what was expected")
    out_of_scope: bool | None = Field(default=None, description="true: a case outside the intended use")
    model: dict = Field(description="the model's identity (as GET /api/health)")


def read_request(data: Any) -> tuple[BaseModel, dict]:
    """(the case, the options given) of a ``/api/score`` body (parsed JSON): the case itself, or
    the case with options. Every refusal names the field, the value and what was expected."""
    if not isinstance(data, dict):
        raise InputError('request: expected a JSON object (the case, or {"case": {...}})')
    try:
        if not isinstance(data.get("case"), dict):
            return case_model().model_validate(data), {}
        req = request_model().model_validate(data)
    except PydanticError as err:
        raise house_error(err) from None
    return req.case, req.model_dump(exclude={"case"}, exclude_none=True)


def house_error(err: PydanticError) -> NetoriginError:
    """The house's error for a pydantic refusal: the contract's own when it refused the case;
    otherwise the first problem as ``field: value is not what was expected``."""
    first = err.errors(include_url=False)[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, NetoriginError):
        return cause
    loc = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        return InputError(f"request: {loc!r} is not an option; expected case, {', '.join(_OPTIONS)}")
    name = str(first["loc"][0]) if first["loc"] else "request"
    expected = _OPTIONS[name][1] if name in _OPTIONS else first["msg"].lower()
    return InputError(f"{loc or 'request'}: {first['input']!r} is not {expected}")


def request_body_schema() -> tuple[dict, dict]:
    """(the request body's schema, the schemas it refers to) for the OpenAPI description."""
    from pydantic.json_schema import models_json_schema

    refs, defs = models_json_schema(
        [(case_model(), "validation"), (request_model(), "validation")],
        ref_template="#/components/schemas/{model}",
    )
    body = {"anyOf": [refs[(case_model(), "validation")], refs[(request_model(), "validation")]]}
    return body, defs["$defs"]


def with_schemas(app, schemas: dict) -> None:
    """The request models' schemas in the OpenAPI description's components (the body refers to them)."""
    make = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            spec = make()
            spec.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
        return app.openapi_schema

    app.openapi = openapi
