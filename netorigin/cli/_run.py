"""``netorigin run``."""

import click

from ._common import friendly, progress_bar, resolve_tracking_uri, tracking_options


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@tracking_options
@friendly
def run(config, no_track, tracking_uri):
    """Run a pipeline config (pipelines/*.yaml), tracked in MLflow.

    Example: netorigin run pipelines/seed_cohort.yaml
    """
    from ..app import run_task
    from ._render import render_pipeline

    with progress_bar(f"running {config}") as step:
        summary = run_task(config, tracking_uri=resolve_tracking_uri(tracking_uri), track=not no_track, progress=step)
    render_pipeline(config, summary)


def register(main):
    main.add_command(run)
