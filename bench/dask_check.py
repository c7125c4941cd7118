"""Check plans with Dask over ipt-plan's library, and print the totals as `ipt-plan check`
counts them (plans, errors, warnings); --render OUTDIR also writes the clean plans'
agendas (Markdown), as `ipt-plan render` does. For corpora past one machine:

    pip install 'ipt-plan[cluster]'
    python bench/dask_check.py PATH... [--render OUTDIR] [--scheduler HOST:PORT]

Without --scheduler it runs in local processes; with one, on that Dask cluster's workers,
each with ipt-plan installed and the plans (and OUTDIR) at the same paths.
"""

import argparse
import datetime as dt
import sys
from pathlib import Path

import dask.bag as db

from ipt_plan import load_file
from ipt_plan.batch import plan_jobs, render_plan
from ipt_plan.paths import expand


def counts(path: str, today: dt.date) -> tuple[int, int, int]:
    result = load_file(path, today=today)
    return 1, len(result.errors), len(result.warnings)


def add(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="plan files, folders or globs")
    parser.add_argument("--render", metavar="OUTDIR", type=Path)
    parser.add_argument("--scheduler", metavar="HOST:PORT", help="a Dask scheduler's address")
    args = parser.parse_args()
    if args.scheduler:
        from dask.distributed import Client

        Client(args.scheduler)  # from here on, Dask's default scheduler
    files, missing = expand(args.paths)
    files = [f.resolve() for f in files]  # workers may start elsewhere
    today = dt.date.today()  # one day for every plan, as `ipt-plan check` takes it
    plans = db.from_sequence([str(f) for f in files], partition_size=256)
    checked, errors, warnings = plans.map(counts, today).fold(add, initial=(0, 0, 0)).compute()
    # A path that names nothing counts as `check` counts it: a plan with one error.
    checked, errors = checked + len(missing), errors + len(missing)
    print(f"{checked} plans checked: {errors} errors, {warnings} warnings")
    if args.render:
        out = args.render.resolve()
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        jobs = db.from_sequence(list(plan_jobs(files, out, "md", None, (), today)),
                                partition_size=64)
        done, failed, written = jobs.map(render_plan).map(
            lambda o: (int(o.rendered), int(not o.rendered), o.files)).fold(
            add, initial=(0, 0, 0)).compute()
        print(f"{done} plans rendered, {failed} failed: {written} files")
    return 2 if missing else 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
