"""``netorigin serve``."""

import click

from ..exceptions import InputError
from ._common import default_model, friendly, model_option, resolve_tracking_uri


@click.command()
@model_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default answers this machine only; anything else exposes the "
    "page to the network (there is no login).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--target-prior", default=None, help="Default deployment prior of the form (the model's own if not given)."
)
@click.option(
    "--coverage",
    type=click.FloatRange(0.5, 0.99),
    default=0.9,
    show_default=True,
    help="Default level of the prediction set.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes, each with its own copy of the model (2 uses both cores of a 2-core machine).",
)
@click.option("--tracking-uri", default=None, help="MLflow tracking URI for models:/ and runs:/ models.")
@friendly
def serve(model_spec, host, port, target_prior, coverage, workers, tracking_uri):
    """A local web page (and JSON API) that scores one case, for clinicians.

    Open http://127.0.0.1:8000 in a browser; POST /api/score takes the same case as JSON and
    answers with the keys of `netorigin score --json`; /docs describes the API. The model is
    loaded once; nothing about a case is stored or logged.

    Example: netorigin serve --port 8000
    """
    from ..app import serve as run_server
    from ..training import load_model

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"warning: listening on {host}: the page has no login; anyone who can reach this address can use it",
            err=True,
        )
    spec, uri = model_spec or default_model(), resolve_tracking_uri(tracking_uri)
    model = load_model(spec, uri)  # loaded here first, so that a bad model is a message, not a dead worker
    model.prior_.resolve(target_prior)  # a bad default prior is refused now, not on every request
    check_address(host, port)  # and an address that cannot be used, before saying it is in use
    click.echo(
        f"netorigin: {model.identity_.name} (bundle {model.identity_.bundle_hash[:12]}) on http://{host}:{port} "
        "- Ctrl+C stops it",
        err=True,
    )
    try:
        run_server(
            model,
            host=host,
            port=port,
            target_prior=target_prior,
            coverage=coverage,
            workers=workers,
            model_spec=spec,
            tracking_uri=uri,
        )
    except SystemExit as e:  # uvicorn exits 3 when it cannot start; 3 is netorigin's out-of-scope code
        if e.code not in (0, None):
            raise InputError(f"--host {host} --port {port}: the server could not start (see above)") from None
        raise


def check_address(host: str, port: int) -> None:
    """Refuse a host that is not an address of this machine, or a port already in use."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise InputError(f"--host: {host!r} is not an address this machine can listen on") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a port in TIME_WAIT is free
        try:
            sock.bind(address)
        except OSError as e:
            raise InputError(
                f"--host {host} --port {port}: cannot listen there ({e.strerror}); "
                "choose another port, or stop what uses it"
            ) from None


def register(main):
    main.add_command(serve)
