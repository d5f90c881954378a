"""``netorigin serve``: a local web page and JSON API that score one case.

Server-rendered HTML (a small inline script rescores as the form changes; the page works without
it), FastAPI for the JSON API and its OpenAPI description. The model is loaded once, when the
application is made. Nothing about a case is stored or logged: a request is validated, scored and
answered in memory.

Routes: ``GET /`` (the case form), ``POST /score`` (the form with the result beside it),
``POST /api/score`` (the same keys as ``netorigin score --json``), ``GET /api/health`` (the
model's identity) and ``GET /openapi.json`` (no ``/docs`` page: it would load scripts from a CDN).
"""

# no `from __future__ import annotations`: FastAPI reads the handlers' annotations at run time

from collections.abc import Mapping
from functools import partial

from .._extras import require
from ..contract import FIELDS, SITES, validate_case
from ..exceptions import InputError, NetoriginError, OutOfScopeError, ValidationError
from ._page import _OPTION_PREFIX, case_form

MAX_BODY = 64 * 1024  # a case is a few hundred bytes; anything larger is refused before parsing


class Scorer:
    """A loaded model and what the page and the API share: a case in, a report out.

    :meth:`prepare` validates a request (the errors a user can fix, raised at once);
    :meth:`score_together` scores requests that arrived together in one pass of the model
    (:func:`~netorigin.inference.case_reports`: each report is the one the case gets alone)."""

    def __init__(self, model, *, target_prior: str | None = None, coverage: float = 0.9):
        self.model = model
        self.identity = model.identity_.as_dict()
        self.target_prior = target_prior
        self.coverage = coverage

    def prepare(self, case, *, target_prior=None, coverage=None, score_anyway: bool = False):
        """(validated case, options) or an error naming the field, the value and what was expected.
        ``case``: field -> value, or the API's case model (already read by the contract)."""
        from ._scoring import refuse_out_of_scope

        validated = validate_case(case) if isinstance(case, Mapping) else case.validated
        refuse_out_of_scope(validated, score_anyway)
        prior = target_prior or self.target_prior
        self.model.prior_.resolve(prior)  # a bad setting is this request's error, not its batch's
        return validated, (prior, self.coverage if coverage is None else coverage)

    def score_together(self, prepared: list) -> list:
        """A report (or the exception that stopped it) for each prepared request, in order."""
        from ..inference import case_reports

        out: list = [None] * len(prepared)
        groups: dict = {}
        for i, (_, options) in enumerate(prepared):
            groups.setdefault(options, []).append(i)
        for (prior, cov), idx in groups.items():
            try:
                reports = case_reports(self.model, [prepared[i][0] for i in idx], target_prior=prior, coverage=cov)
            except Exception as err:  # noqa: BLE001 - handed to each request of the group
                reports = [err] * len(idx)
            for i, r in zip(idx, reports):
                out[i] = r
        return out


FORM_TYPE = "application/x-www-form-urlencoded"


class _Gone(Exception):
    """The client disconnected before its request arrived."""


def form_values(body: bytes) -> dict[str, str]:
    """The page's form as field -> value: every pair ``name=value``, percent-encoded UTF-8, each name
    once and a known one (a contract field, ``case_id`` or an option); anything else is refused by
    name, never decoded with replacement characters or dropped."""
    from urllib.parse import unquote_plus

    text = decode_text(body, "form") if body.strip() else ""
    values: dict[str, str] = {}
    for pair in text.split("&") if text else ():
        if "=" not in pair:
            raise InputError(f"form: {pair[:40]!r} is not a name=value pair; send the page's form as it is")
        raw_key, raw_value = pair.split("=", 1)
        try:
            key = unquote_plus(raw_key, errors="strict")
        except UnicodeDecodeError:
            raise InputError(f"form: a field name ({raw_key[:40]!r}) is not UTF-8 text") from None
        try:
            value = unquote_plus(raw_value, errors="strict")
        except UnicodeDecodeError:
            raise InputError(f"{key}: the value is not UTF-8 text ({raw_value[:40]!r})") from None
        if key in values:
            raise InputError(f"form: {key!r} is given twice; a field has one value")
        if key.startswith(_OPTION_PREFIX) and key not in _OPTIONS:
            raise InputError(f"form: {key!r} is not an option of this page ({', '.join(_OPTIONS)})")
        values[key] = value
        if len(values) > len(FIELDS) + len(_OPTIONS) + 1:
            raise InputError("form: more fields than a case has")
    return values


_OPTIONS = tuple(_OPTION_PREFIX + o for o in ("target_prior", "coverage", "score_anyway"))


def decode_text(data: bytes, source) -> str:
    from ..io._strict import decode_text as strict

    return strict(data, source)


_TURNS = 6  # event-loop turns a batch waits for requests already arriving (no timed wait)


class Batcher:
    """Requests that arrive while a batch is being scored wait, then are scored together: with
    several clients at once, one pass of the model answers all of them (a case's report does not
    depend on its neighbours). One per worker process; the scoring itself runs between awaits."""

    def __init__(self, scorer: Scorer, limit: int = 32):
        self.scorer, self.limit = scorer, limit
        self._waiting: list = []
        self._task = None
        self.counts = {"requests": 0, "batches": 0, "largest_batch": 0}  # counts only, nothing about a case

    async def score(self, prepared) -> dict:
        import asyncio

        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((prepared, future))
        if self._task is None:
            self._task = loop.create_task(self._run())
        return await future

    async def _run(self) -> None:
        import asyncio

        try:
            while self._waiting:
                # let the requests already on their way (accepted, being read) join this batch:
                # turn the event loop while that brings new ones, a few turns at most
                for turn in range(_TURNS):
                    before = len(self._waiting)
                    await asyncio.sleep(0)
                    if len(self._waiting) == before and turn > 1:
                        break
                batch, self._waiting = self._waiting[: self.limit], self._waiting[self.limit :]
                self.counts["requests"] += len(batch)
                self.counts["batches"] += 1
                self.counts["largest_batch"] = max(self.counts["largest_batch"], len(batch))
                try:
                    results = self.scorer.score_together([p for p, _ in batch])
                except Exception as err:  # noqa: BLE001 - never leave a request waiting
                    results = [err] * len(batch)
                for (_, future), result in zip(batch, results):
                    if future.cancelled():
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._task = None


def _coverage(text) -> float:
    try:
        c = float(text)
    except (TypeError, ValueError):
        raise InputError(f"coverage: {text!r} is not a number between 0.5 and 0.99") from None
    if not 0.5 <= c <= 0.99:
        raise InputError(f"coverage: {text!r} is not a number between 0.5 and 0.99")
    return c


async def _body_of(request, kind: str) -> bytes:
    """The request's body, refusing another content type, more than MAX_BODY bytes, or a client
    that went away before sending it all (answered quietly: nobody is listening)."""
    from starlette.requests import ClientDisconnect

    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != kind:
        raise InputError(
            f"request: sent as {ctype or 'no content type'!r}; this address takes {kind} "
            + ("(the JSON case)" if kind == "application/json" else "(the page's form)")
        )
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise InputError(f"request: larger than {MAX_BODY // 1024} KB; a case is a few hundred bytes")
    except ClientDisconnect:
        raise _Gone() from None
    return body


def _api_request(body: bytes) -> tuple:
    """(the case, the options given) of a ``/api/score`` body, validated by the models of
    :mod:`._requests`: the case itself, or ``{"case": {...}, "target_prior": ..., "coverage": ...,
    "score_anyway": ...}``."""
    from ..io._strict import load_json
    from ._requests import read_request

    return read_request(load_json(decode_text(body, "request"), "request"))


def create_app(model, *, target_prior: str | None = None, coverage: float = 0.9):
    """The FastAPI application around a loaded model (loaded once, here)."""
    require("fastapi", "serve")
    from fastapi import FastAPI

    scorer = Scorer(model, target_prior=target_prior, coverage=coverage)
    batcher = Batcher(scorer)
    ident = scorer.identity
    default_prior = target_prior or (
        model.target_prior if isinstance(getattr(model, "target_prior", None), str) else "training"
    )
    # no /docs page: FastAPI's loads its scripts from a CDN, blank on a hospital network without the
    # internet; /openapi.json describes the API for any client
    app = FastAPI(
        title="netorigin",
        version=str(ident["version"]),
        docs_url=None,
        redoc_url=None,
        description="Primary site (ileal, pancreatic, other) of a NET found as liver metastases. " + ident["notice"],
    )

    _page_routes(
        app, scorer, batcher, partial(case_form, ident, default_prior=default_prior, default_coverage=coverage)
    )
    _api_routes(app, scorer, batcher)

    @app.get("/api/health")
    def health() -> dict:
        """The model this server scores with; how many requests this worker scored, in how many
        passes of the model (requests arriving together are scored together)."""
        return {"status": "ok", "model": ident, "sites": list(SITES), "scoring": dict(batcher.counts)}

    return app


def _page_routes(app, scorer, batcher, page) -> None:
    """``GET /`` (the form) and ``POST /score`` (the form with the result beside it)."""
    from fastapi import Request
    from fastapi.responses import HTMLResponse, Response

    from ._report import result_html

    coverage = scorer.coverage

    @app.get("/", response_class=HTMLResponse)
    def form() -> HTMLResponse:
        return HTMLResponse(page())

    @app.post("/score", response_class=HTMLResponse)
    async def score_page(request: Request) -> Response:
        values: dict[str, str] = {}
        try:
            values = form_values(await _body_of(request, FORM_TYPE))
            case = {k: v for k, v in values.items() if v.strip() and not k.startswith(_OPTION_PREFIX)}
            rep = await batcher.score(
                scorer.prepare(
                    case,
                    target_prior=values.get(_OPTION_PREFIX + "target_prior") or None,
                    coverage=_coverage(values.get(_OPTION_PREFIX + "coverage", coverage)),
                    score_anyway=bool(values.get(_OPTION_PREFIX + "score_anyway")),
                )
            )
        except _Gone:
            return Response(status_code=400)
        except OutOfScopeError as err:
            return HTMLResponse(page(values, str(err), out_of_scope=True), status_code=422)
        except (NetoriginError, ValueError) as err:  # the form shows each field by its words, never its name
            return HTMLResponse(page(values, err.in_words() if isinstance(err, ValidationError) else str(err)), 422)
        anyway = bool(values.get(_OPTION_PREFIX + "score_anyway"))
        return HTMLResponse(page(values, out_of_scope=anyway, result=result_html(rep)))


def _api_routes(app, scorer, batcher) -> None:
    """``POST /api/score``: the keys of ``netorigin score --json``. The body is read here (its size,
    type, duplicate keys and text checked before it is parsed) and validated by the models of
    :mod:`._requests`, which the OpenAPI description shows."""
    from fastapi import Request
    from fastapi.responses import JSONResponse, Response
    from pydantic_core import to_json

    from ._requests import ErrorAnswer, request_body_schema, with_schemas

    ident, coverage = scorer.identity, scorer.coverage
    body_schema, schemas = request_body_schema()

    @app.post(
        "/api/score",
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}}},
        responses={422: {"model": ErrorAnswer, "description": "not scored: the field, the value, what was expected"}},
    )
    async def score_api(request: Request) -> JSONResponse:
        """Score one case. Body: the case as JSON (field: value), or ``{"case": {...},
        "target_prior": ..., "coverage": ..., "score_anyway": false}``. Answer: the keys of
        ``netorigin score --json``; 422 with ``error`` naming the field, the value and what was
        expected."""
        try:
            case, options = _api_request(await _body_of(request, "application/json"))
            rep = await batcher.score(
                scorer.prepare(
                    case,
                    target_prior=options.get("target_prior"),
                    coverage=options.get("coverage", coverage),
                    score_anyway=options.get("score_anyway", False),
                )
            )
        except _Gone:
            return Response(status_code=400)
        except OutOfScopeError as err:
            return JSONResponse({"error": str(err), "out_of_scope": True, "model": ident}, status_code=422)
        except (NetoriginError, ValueError) as err:
            return JSONResponse({"error": str(err), "model": ident}, status_code=422)
        # pydantic's serialiser (installed with FastAPI): the same JSON as json.dumps, several times faster
        return Response(to_json(rep, inf_nan_mode="null"), media_type="application/json")

    with_schemas(app, schemas)


_ENV = "NETORIGIN_SERVE_SETTINGS"  # how worker processes learn the settings (a JSON object)


def app_from_environment():
    """The application for one uvicorn worker process: each loads the model once, itself."""
    import json
    import os

    from ..training import load_model

    cfg = json.loads(os.environ[_ENV])
    return create_app(
        load_model(cfg["model"], cfg.get("tracking_uri")),
        target_prior=cfg.get("target_prior"),
        coverage=cfg["coverage"],
    )


def serve(
    model,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    target_prior=None,
    coverage: float = 0.9,
    workers: int = 1,
    model_spec: str | None = None,
    tracking_uri: str | None = None,
) -> None:
    """Run the application with uvicorn (access log off: request lines are not written).
    ``workers`` > 1 starts that many processes (one model each; ``model_spec`` names it)."""
    uvicorn = require("uvicorn", "serve")

    if workers > 1:
        import json
        import os

        os.environ[_ENV] = json.dumps(
            {"model": model_spec, "tracking_uri": tracking_uri, "target_prior": target_prior, "coverage": coverage}
        )
        uvicorn.run(
            "netorigin.app._serve:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            access_log=False,
            log_level="warning",
        )
        return
    uvicorn.run(
        create_app(model, target_prior=target_prior, coverage=coverage),
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
    )
