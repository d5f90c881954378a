"""``netorigin synth``."""

import sys

import click

from ._common import friendly

MAX_PARTITIONS = 10_000  # Parquet files one --partitions run writes
MAX_WORKERS = 64  # processes (as `netorigin serve --workers`)


@click.command()
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=1),
    default=None,
    help="Number of cases (with --check: cases per check cohort, default 1,000,000).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Random seed: the same seed, scenario and files give the same cohort.",
)
@click.option(
    "--scenario",
    default="liver-met-archive",
    show_default=True,
    help="Site mix: liver-met-archive, population, unknown-primary (or one in --scenarios).",
)
@click.option("-o", "--output", type=click.Path(), help="Output file (.csv or .parquet); with --partitions a folder.")
@click.option(
    "--workup",
    default="routine",
    show_default=True,
    help="Which tests were done: routine, community, referral, sparse (data/synthetic/workup.csv), "
    "mixture (those in the shares of workup_mix.csv), complete, or a work-up CSV file.",
)
@click.option(
    "--label-noise",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Probability that a case's site label is replaced by another site.",
)
@click.option("--parameters", type=click.Path(dir_okay=False), help="Alternative parameters CSV.")
@click.option("--scenarios", type=click.Path(dir_okay=False), help="Alternative scenarios CSV.")
@click.option(
    "--check",
    is_flag=True,
    help="Print every parameter beside its value measured in a "
    "large generated cohort (exit 1 if any is outside its tolerance).",
)
@click.option(
    "--partitions",
    type=click.IntRange(1, MAX_PARTITIONS),
    default=None,
    help="Write -o DIR/ as this many Parquet files, generated in parallel.",
)
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=None, help="Processes for --partitions.")
@click.option(
    "--world",
    type=click.IntRange(0, 2**32 - 1),
    default=None,
    help="Draw the cases from plausible world WORLD: every parameter drawn from its uncertainty "
    "(n_eff in parameters.csv) instead of the literature's own values.",
)
@click.option(
    "--structure",
    type=click.Choice(["cells", "subtypes", "factor", "pairs", "any"]),
    default=None,
    help="With --world: a world whose structure differs from the literature's too (phenotype cells "
    "split or shifted, hidden subtypes, a shared differentiation factor, dependent pairs; any: one "
    "drawn), of a strength drawn with the world.",
)
@click.option(
    "--save-world",
    type=click.Path(dir_okay=False),
    default=None,
    help="With --world: also write the drawn world's parameter table (.csv).",
)
@click.option(
    "--setting-mix",
    "setting_mix",
    default=None,
    metavar="SETTING",
    help="Print the site mix SETTING's assumed-negative procedures imply (the liver-metastasis archive "
    "mix after those procedures miss), with its interval over drawn worlds, beside the setting's own.",
)
@click.option(
    "--worlds",
    type=click.IntRange(min=2),
    default=200,
    show_default=True,
    help="With --setting-mix: worlds drawn for the interval.",
)
@friendly
def synth(
    n,
    seed,
    scenario,
    output,
    workup,
    label_noise,
    parameters,
    scenarios,
    check,
    partitions,
    workers,
    world,
    structure,
    save_world,
    setting_mix,
    worlds,
):
    """Generate a literature-calibrated synthetic cohort (or --check the parameters).

    Example: netorigin synth --n 20000 --scenario unknown-primary --seed 1 -o cohort.csv
    """
    # long: one parameter per command-line option, handed on unchanged to the library (a thin command)
    if structure and world is None:
        raise click.UsageError("--structure needs --world (the world whose structure is drawn)")
    _refuse_conflicts(n, output, check, partitions, workers, parameters, scenarios, world, save_world, setting_mix)
    from ..io import Output, plan_outputs

    # every output planned together, before anything is read or written: the world's table and the
    # cohort can never be one file (the same name, ./x and x, a hard or a symbolic link)
    written = [
        Output("-o", output, kind="folder")
        if partitions
        else Output("-o", output, suffixes=(".csv", ".tsv", ".parquet", ".pq")),
        Output("--save-world", save_world, suffixes=(".csv",)),
    ]
    plan_outputs(
        [o for o in written if o.path is not None],
        inputs=[parameters, scenarios, workup if str(workup).endswith(".csv") else None],
    )
    from ..literature import Literature
    from ._render_synth import render_check, render_synth

    lit = Literature(parameters, scenarios)
    if world is not None:
        from ..literature import draw_world

        lit = draw_world(world, literature=lit, structure=structure)
    if setting_mix:
        from ..literature import derive_setting_mix, setting_mix_interval
        from ._render_synth import render_setting_mix

        derived = derive_setting_mix(lit, setting_mix)
        render_setting_mix(
            setting_mix, derived, setting_mix_interval(worlds, seed, setting_mix, literature=lit), worlds
        )
        return
    if check:
        from ..literature import check_parameters

        table = check_parameters(scenario, n=n or 1_000_000, random_state=seed, literature=lit)
        _save_world(lit, world, save_world)
        render_check(scenario, table)
        sys.exit(0 if table["ok"].all() else 1)
    if partitions:
        from ..training import synth_partitions

        files = synth_partitions(
            n, partitions, output, scenario=scenario, seed=seed, workers=workers, workup=workup, label_noise=label_noise
        )
        click.echo(
            f"wrote {n:,} synthetic cases to {output} as {len(files)} Parquet files (scenario {scenario}, seed {seed})"
        )
        return
    from ..io import write_table
    from ..literature import make_synthetic_cohort

    cohort = make_synthetic_cohort(
        n, scenario=scenario, random_state=seed, workup=workup, label_noise=label_noise, literature=lit
    )
    _save_world(lit, world, save_world)
    write_table(cohort, output)
    render_synth(output, scenario, seed, cohort, world=world, structure=getattr(lit, "structure", None))


def _refuse_conflicts(
    n, output, check, partitions, workers, parameters, scenarios, world, save_world, setting_mix
) -> None:
    """Every combination of options that cannot be honoured, refused before anything is read or
    written (an option that would be ignored is a conflict too)."""
    if setting_mix:
        if output or check or partitions or n is not None:
            raise click.UsageError("--setting-mix prints a derivation and writes no cohort: drop -o/--n/--check")
        return
    if save_world and world is None:
        raise click.UsageError("--save-world needs --world")
    if workers is not None and not partitions:
        raise click.UsageError("--workers is for --partitions (processes generating the Parquet files)")
    if check:
        if output or partitions:
            raise click.UsageError("--check writes no cohort: drop -o/--partitions, or --check")
        return
    if not output:
        raise click.UsageError("give -o FILE (.csv or .parquet), or --check")
    if n is None:
        raise click.UsageError("give --n N, the number of cases")
    if partitions and (parameters or scenarios or world is not None):
        raise click.UsageError("--partitions uses the bundled parameter files (no --parameters, --scenarios, --world)")
    from ..literature import MAX_CASES

    if -(-n // (partitions or 1)) > MAX_CASES:
        from ..exceptions import InputError

        raise InputError(
            f"--n: {n:,} cases is more than "
            + (f"{partitions:,} Parquet files hold" if partitions else "one file holds")
            + f" here (at most {MAX_CASES:,} a file, about {MAX_CASES * 800 / 1e9:.0f} GB in memory); "
            + ("use more --partitions" if partitions else "use --partitions to write them as Parquet files")
        )


def _save_world(lit, world, save_world) -> None:
    """With --save-world: the drawn world's parameter table (its path planned with the others)."""
    if save_world:
        from ..io import write_table

        write_table(lit.parameters, save_world)
        click.echo(f"wrote the parameters of world {world} to {save_world}")


def register(main):
    main.add_command(synth)
