"""What every command shares: turning netorigin's errors into exit code 2, common options, and
the process settings (the library never configures the process; the CLI does, here)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path
from typing import NamedTuple

import click

from ..exceptions import NetoriginError

EXIT_INPUT = 2  # bad input: a message naming the field, the value and what was expected
EXIT_OUT_OF_SCOPE = 3  # a case outside the intended use, not scored (--score-anyway scores it)


def configure_process() -> None:
    """Keep third-party chatter off the user's screen: Python warnings (NumPy's, MLflow's) and the
    logs of MLflow, Alembic and Dask go to netorigin's log file (``NETORIGIN_LOG``, default
    ``~/.cache/netorigin/netorigin.log``; ``-`` for the terminal), never between a command's lines."""
    import logging

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")  # MLflow configures its own loggers when imported
    if getattr(configure_process, "_done", False):
        return
    configure_process._done = True
    logging.captureWarnings(True)
    handler = _log_handler()
    for name in ("py.warnings", "mlflow", "alembic", "distributed", "xgboost", "netorigin"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        if name in ("mlflow", "alembic", "distributed"):
            logger.setLevel(logging.WARNING)


def log_path() -> Path | None:
    """Where netorigin's log is kept (None: the terminal)."""
    where = os.environ.get("NETORIGIN_LOG")
    if where == "-":
        return None
    if where:
        return Path(where)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "netorigin" / "netorigin.log"


def _log_handler():
    import logging
    from logging.handlers import RotatingFileHandler

    path = log_path()
    try:
        if path is None:
            raise OSError
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8", delay=True)
    except OSError:
        handler = logging.StreamHandler(sys.stderr) if path is None else logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


class Need(NamedTuple):
    """An optional part a command needs: the extra, what needs it, another way to run without it,
    and the modules it needs of the extra (None: all of them)."""

    extra: str
    why: str
    alternative: str | None = None
    modules: tuple[str, ...] | None = None


def needed_extras(command: str, params: dict) -> list[Need]:
    """The optional parts of netorigin a command needs with these arguments: checked before any
    work, and the docs' commands are checked to name them (tests/test_docs.py).

    >>> needed_extras("train", {"data": "cohort.parquet", "no_track": False})[0].extra
    'tracking'
    >>> needed_extras("score", {"case": "case.yaml", "model_spec": None})
    []
    """
    out = []
    if command == "serve":
        out.append(Need("serve", "netorigin serve (the web page and API)"))
    if command in ("train", "evaluate", "run") and not params.get("no_track", True):
        out.append(Need("tracking", f"netorigin {command} (it records the run in MLflow)", "give --no-track"))
    for key in ("model_spec", "model"):
        spec = params.get(key)
        if isinstance(spec, str) and spec.startswith(("models:/", "runs:/")):
            out.append(Need("tracking", f"a model from MLflow ({spec})", modules=("mlflow",)))
    if params.get("plot"):
        out.append(Need("tracking", "--plot (the chart is drawn with matplotlib)", modules=("matplotlib",)))
    if params.get("engine") == "dask":
        out.append(Need("dask", "--engine dask"))
    if params.get("partitions"):
        out.append(Need("parquet", "--partitions (Parquet files)"))
    for value in params.values():
        if isinstance(value, str) and Path(value).suffix.lower() in (".parquet", ".pq"):
            out.append(Need("parquet", f"{value} (a Parquet file)"))
    return out


def friendly(fn):
    """Turn netorigin's own errors into a message on stderr and exit code 2 (3 for a case out of
    the intended use); first, refuse a command whose optional parts are not installed (before any
    work, never after an hour of training)."""
    from .._extras import check

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            for need in needed_extras(fn.__name__, kwargs):
                check([need.extra], need.why, need.alternative, modules=need.modules)
            return fn(*args, **kwargs)
        except NetoriginError as e:
            click.echo(f"error: {printable(str(e))}", err=True)
            sys.exit(getattr(e, "exit_code", EXIT_INPUT))

    return wrapper


def printable(text: str) -> str:
    """Control characters (terminal escape sequences) shown as escapes; line breaks kept."""
    return "".join(c if c == "\n" or (ord(c) >= 32 and ord(c) != 127) else repr(c)[1:-1] for c in text)


def mapping_option(fn):
    return click.option(
        "--mapping",
        type=click.Path(dir_okay=False),
        default=None,
        help="YAML mapping from your cohort's columns and values to the contract "
        "(draft one with `netorigin map suggest`).",
    )(fn)


def model_option(fn):
    """--model: the bundle a command scores with (default: the shipped model)."""
    return click.option(
        "--model",
        "model_spec",
        default=None,
        help="Bundle folder, models:/NAME@ALIAS or runs:/ID/model (default: the shipped model).",
    )(fn)


def as_option(what: str):
    """--as: read the input named ``what`` as one case, a cohort, or by its shape."""
    return click.option(
        "--as",
        "kind",
        type=click.Choice(["auto", "case", "cohort"]),
        default="auto",
        show_default=True,
        help=f"Read {what} as one case or as a cohort (auto: YAML/JSON and one-row CSV without case_id are cases).",
    )


def engine_options(engine_help: str):
    """--engine, --scheduler and --workers (training and scoring on Dask)."""

    def decorate(fn):
        fn = click.option(
            "--workers",
            type=click.IntRange(1, 64),
            default=2,
            show_default=True,
            help="LocalCluster worker processes (--engine dask).",
        )(fn)
        fn = click.option("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster).")(fn)
        return click.option(
            "--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True, help=engine_help
        )(fn)

    return decorate


@contextlib.contextmanager
def progress_bar(description: str, stream=None):
    """Progress on stderr (``stream``). On a terminal, a bar (rich); otherwise (a pipe, a file, CI)
    plain timestamped log lines (:class:`LogLines`), so that ``train ... 2>&1 | tee log`` shows
    life. Yields ``step(label, done, total)``: a bar when ``total`` is known, a spinner otherwise."""
    stream = stream or sys.stderr
    if not stream.isatty():  # no bar, and no import of its machinery
        lines = LogLines(description, stream)
        with lines:
            yield lines.step
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=None)

        def step(label=None, done=None, total=None):
            bar.update(task, description=label or description, completed=done or 0, total=total)

        yield step


class LogLines:
    """Progress as log lines, each written at once: ``2025-01-31 14:02:07 training: fitting fold 2
    of 5 (1 of 6 done)``. Nothing for the first ``quiet`` seconds (a command that ends sooner
    prints none); then the step under way, a line as each step begins, a long step's count at
    most every ``count_every`` seconds, ``still ...`` after ``every`` seconds of silence, and a
    last line with the time it took."""

    QUIET, EVERY, COUNT_EVERY = 5.0, 60.0, 30.0  # seconds

    def __init__(self, description: str, stream):
        import threading
        import time

        self.description, self.stream = description, stream
        self.quiet, self.every, self.count_every = self.QUIET, self.EVERY, self.COUNT_EVERY
        self.label: str | None = None
        self.count = ""  # the current step's "(done of total done)"
        self.started = time.monotonic()
        self.last: float | None = None  # when the last line was written
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._watch, name="netorigin-progress", daemon=True)

    def __enter__(self):
        self._beat.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._beat.join()
        with self._lock:
            if self.last is not None and exc[0] is None:
                self._write(f"{self.description}: done in {_duration(self._elapsed())}")

    def _elapsed(self) -> float:
        import time

        return time.monotonic() - self.started

    def _write(self, text: str) -> None:
        import time

        try:
            self.stream.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
            self.stream.flush()
        except (OSError, ValueError):  # the reader went away (a closed pipe): progress is not worth an error
            pass
        self.last = time.monotonic()

    def _said(self, label: str) -> str:
        return label if label == self.description else f"{self.description}: {label}"

    def step(self, label=None, done=None, total=None) -> None:
        import time

        label = label or self.description
        count = f" ({done:,} of {total:,} done)" if total else ""
        with self._lock:
            new, self.label, self.count = label != self.label, label, count
            if self.last is None and self._elapsed() < self.quiet:  # said when the quiet time is over, if still on
                return
            if new or self.last is None or (count and time.monotonic() - self.last >= self.count_every):
                self._write(self._said(label) + count)

    def _watch(self) -> None:
        import time

        while not self._stop.wait(max(0.05, min(self.quiet, self.every) / 4)):
            with self._lock:
                now = time.monotonic()
                if self.last is None and now - self.started >= self.quiet:
                    self.label = self.label or self.description
                    self._write(self._said(self.label) + self.count)
                elif self.last is not None and now - self.last >= self.every:
                    so_far = _duration(self._elapsed())
                    self._write(f"still {self._said(self.label or self.description)} ({so_far} so far)")


def _duration(seconds: float) -> str:
    """ "8 min 2 s", "3 s"."""
    s = int(round(seconds))
    return f"{s // 60} min {s % 60} s" if s >= 60 else f"{s} s"


def skip_invalid_options(fn):
    fn = click.option(
        "--set-aside",
        "set_aside",
        type=click.Path(dir_okay=False),
        default=None,
        help="With --skip-invalid: where to write the rows set aside, each with its row number and "
        "reason (default: <input name>.set-aside.csv in the current folder).",
    )(fn)
    fn = click.option(
        "--skip-invalid",
        is_flag=True,
        help="Set invalid rows of a cohort aside (written to a file with "
        "the reason for each, and counted) instead of refusing the whole cohort.",
    )(fn)
    return fn


def set_aside_output(source, skip_invalid: bool, set_aside):
    """The set-aside file an input's invalid rows go to (an Output to plan), or None."""
    from ..io import Output

    if set_aside and not skip_invalid:
        raise click.UsageError(
            "--set-aside names where --skip-invalid writes the rows it sets aside; "
            "give --skip-invalid too (without it an invalid row stops the command)"
        )
    if not skip_invalid:
        return Output("--set-aside", None)
    path = Path(set_aside) if set_aside else Path.cwd() / f"{Path(source).stem}.set-aside.csv"
    return Output("--set-aside", path, suffixes=(".csv",))


def report_set_aside(validated, path) -> str | None:
    """Write the rows set aside (if any) to ``path`` (planned before the work) and say how the rows
    add up; the line to print."""
    if validated.set_aside is None:
        return None
    line = validated.accounting()
    if len(validated.set_aside):
        from ..io import neutralise_formulas, write_table

        safe, _ = neutralise_formulas(validated.set_aside.astype(object))
        write_table(safe, path)
        line += f"; set aside -> {path}"
    return line


def model_input(spec: str):
    """A local bundle folder given as --model is an input (an output may not be written into it)."""
    return None if str(spec).startswith(("models:/", "runs:/")) else Path(spec)


def tracking_options(fn):
    fn = click.option(
        "--tracking-uri",
        default=None,
        help="MLflow tracking URI (default: "
        "MLFLOW_TRACKING_URI, else sqlite:///mlruns/mlflow.db in the working folder).",
    )(fn)
    fn = click.option("--no-track", is_flag=True, help="Do not log to MLflow.")(fn)
    return fn


def resolve_tracking_uri(option: str | None) -> str:
    """The tracking URI: the option, else MLFLOW_TRACKING_URI, else a sqlite store in ./mlruns."""
    return option or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlruns' / 'mlflow.db'}"


def default_model() -> str:
    from ..io import default_model_path

    return str(default_model_path())


def bootstrap_option(fn):
    """--bootstrap N, checked by the library's own bound when the command line is read (before any
    work), the error naming the maximum."""

    def check(ctx, param, value):
        from ..exceptions import InputError
        from ..training import check_bootstrap

        try:
            return check_bootstrap(value)
        except InputError as e:
            raise click.BadParameter(str(e).replace("n_bootstrap: ", "")) from None

    return click.option(
        "--bootstrap",
        "n_bootstrap",
        type=click.IntRange(min=0),
        default=200,
        show_default=True,
        callback=check,
        help="Bootstrap resamples for the 95% intervals (0: none; at most 10,000).",
    )(fn)
