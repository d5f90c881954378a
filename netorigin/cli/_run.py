"""``netorigin run``."""

import click

from ._common import friendly, resolve_tracking_uri, tracking_options


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@tracking_options
@friendly
def run(config, no_track, tracking_uri):
    """Run a pipeline config (pipelines/*.yaml), tracked in MLflow.

    Example: netorigin run pipelines/seed_cohort.yaml
    """
    from ..pipelines import run_pipeline
    from ._render import render_pipeline

    render_pipeline(config, run_pipeline(config, tracking_uri=resolve_tracking_uri(tracking_uri),
                                         track=not no_track))


def register(main):
    main.add_command(run)
