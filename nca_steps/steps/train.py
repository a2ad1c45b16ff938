"""Step ``train``: evolve one NCA for one (target, hyperparameter combination) with an ES.

Writes the solver's center (the trained parameters, ``.npy``), a per-generation metrics CSV and,
with ``--state-out``, the search's final state; starts from ``--init``, or continues another
run's final state (``--start-state``: its start_from). Checkpoints every few generations and at
the end, so that a killed job resumes where it stopped, bit for bit; the checkpoint is removed
once the outputs are written. Each checkpoint
also writes the metrics so far beside the final table (``metrics.partial.csv``), to watch a long
run. SIGTERM or SIGINT (a SLURM time limit or preemption, Ctrl-C) ends the generation in
progress, checkpoints it and exits with 128 + the signal number.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from nca_steps import checkpoint, hyperparameters, runtime
from nca_steps.cli import POSITIVE_INT, load_npy, parser, run_step
from nca_steps.errors import StepError
from nca_steps.files import write_npy
from nca_steps.fitness import member_loss
from nca_steps.metrics import partial_metrics_path, write_metrics
from nca_steps.stop_request import StopRequest
from nca_steps.trainers import Trainer, make_trainer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.train", __doc__)
    p.add_argument("--target", required=True, help="padded target, .npy from prepare_target")
    p.add_argument("--params-out", required=True, help="trained flat parameters (.npy)")
    p.add_argument("--metrics-out", required=True, help="per-generation metrics (.csv)")
    p.add_argument("--checkpoint", required=True, help="checkpoint file, kept until the run ends")
    p.add_argument(
        "--state-out",
        help="where to keep the search's final state (.npz, a checkpoint's format), for runs "
        "that continue it",
    )
    p.add_argument(
        "--start-state",
        help="another run's final state (its --state-out) to continue, with this run's "
        "objective and step sizes: its solver, generations and seconds carry on (start_from)",
    )
    p.add_argument(
        "--checkpoint-every", type=POSITIVE_INT.parse, default=25, help="generations between saves"
    )
    p.add_argument(
        "--log-every",
        type=POSITIVE_INT.parse,
        default=10,
        help="generations between progress lines",
    )
    p.add_argument("--threads", type=POSITIVE_INT.parse, default=1, help="CPU threads for this job")
    hyperparameters.add_arguments(p)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    hp = hyperparameters.from_args(args)
    target = load_npy(args.target, "target", ndim=3, last=4)
    runtime.use_cpu_threads(args.threads, args.pop_size)
    with StopRequest() as stop:
        train(args, hp, target, stop)


def train(args: argparse.Namespace, hp: dict, target: np.ndarray, stop: StopRequest) -> None:
    settings = {
        "target_sha256": hashlib.sha256(target.tobytes()).hexdigest(),
        "target_shape": list(target.shape),
        **hp,
    }
    if args.start_state:  # a checkpoint of another start does not resume this run
        settings["start_sha256"] = file_sha256(args.start_state, "start state")
    trainer = make_trainer(target, hp)
    center_losses = {
        phase: jax.jit(partial(member_loss, target=jnp.asarray(target), **objective))
        for phase, objective in (
            ("warmup", hyperparameters.objective(hp, generation=0)),
            ("main", hyperparameters.objective(hp)),
        )
    }
    pop_key, center_key = jax.random.split(jax.random.PRNGKey(args.seed))

    rows: list[tuple[float, ...]] = []
    elapsed = 0.0
    saved = checkpoint.load(args.checkpoint, settings, [*trainer.get_state(), "metrics", "elapsed"])
    environment = runtime.environment()
    if saved is not None:
        change = runtime.environment_change(checkpoint.saved_environment(saved), environment)
        if change:
            log(f"warning: {change}")
        log(f"resuming from {args.checkpoint} at generation {len(saved['metrics'])}")
    elif args.start_state:
        saved = start_state(args.start_state, trainer, hp)
        log(f"continuing the search of {args.start_state} at generation {len(saved['metrics'])}")
    if saved is not None:
        trainer.set_state(saved)
        rows = [tuple(r) for r in saved["metrics"]]
        elapsed = float(saved["elapsed"])
    devices = jax.devices()
    log(
        f"training {args.generations} generations ({hp['algorithm']}, {hp['experiment']}), "
        f"population {args.pop_size}, {hyperparameters.rollout_steps(hp)} steps a rollout, "
        f"on {len(devices)} {devices[0].platform} device(s)"
    )

    partial_metrics = partial_metrics_path(args.metrics_out)
    clock = time.perf_counter() - elapsed
    budget = hp["max_seconds"]

    def finished() -> bool:
        return len(rows) >= args.generations or bool(budget and rows and rows[-1][-1] >= budget)

    while not finished():
        gen = len(rows)
        losses = np.asarray(trainer.generation(jax.random.fold_in(pop_key, gen), gen))
        if not bool(jnp.all(jnp.isfinite(trainer.center))):
            raise StepError(
                f"the solver's center became NaN/Inf at generation {gen + 1}; lower lr "
                f"(the last good checkpoint, if any, stays at {args.checkpoint})"
            )
        center_loss = center_losses["warmup" if gen < hp["warmup"] else "main"]
        c_loss = float(center_loss(trainer.center, jax.random.fold_in(center_key, gen)))
        finite = losses[np.isfinite(losses)] if np.isfinite(losses).any() else np.array([np.nan])
        rows.append(
            (gen, float(finite.min()), float(finite.mean()), c_loss, trainer.spread(),
             time.perf_counter() - clock)
        )  # fmt: skip
        done = len(rows)
        if done % args.log_every == 0 or finished():
            log_progress(rows, args.generations, args.log_every)
        if done % args.checkpoint_every == 0 or finished() or stop.signal:
            checkpoint.save(args.checkpoint, settings, state(trainer, rows), environment)
            write_metrics(partial_metrics, rows)
        if stop.signal and not finished():
            log(
                f"stopped by {stop.signal.name} after generation {done}; checkpoint "
                f"{args.checkpoint} written: run again to resume"
            )
            sys.exit(128 + stop.signal.value)
    if len(rows) < args.generations:
        log(f"stopped after generation {len(rows)}: max_seconds {budget:g} reached")

    write_metrics(args.metrics_out, rows)
    write_npy(args.params_out, np.asarray(trainer.center, np.float32))
    if args.state_out:
        checkpoint.save(args.state_out, settings, state(trainer, rows), environment)
    partial_metrics.unlink(missing_ok=True)
    Path(args.checkpoint).unlink(missing_ok=True)


def file_sha256(path: str, what: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as err:
        raise StepError(f"{what} {path} is unreadable ({err.strerror})") from err


def state(trainer: Trainer, rows: list[tuple[float, ...]]) -> dict[str, np.ndarray]:
    """What a checkpoint and a final state hold: the trainer's state, the metrics so far and
    the seconds they took."""
    return {
        **trainer.get_state(),
        "metrics": np.asarray(rows, np.float64),
        "elapsed": np.asarray(rows[-1][-1]),
    }


def start_state(path: str, trainer: Trainer, hp: dict) -> dict[str, np.ndarray]:
    """Another run's final state (``--state-out``) as this run's start: one of the same
    hyperparameters.CONTINUED settings and fewer than ``hp["generations"]`` generations, else
    StepError (one line). A pool of grown states is carried where it has this run's size, else
    this run starts its own."""
    settings, arrays = checkpoint.read(path, "train its run again", "start state")
    differ = [k for k in hyperparameters.CONTINUED if settings.get(k) != hp[k]]
    if differ:
        theirs = ", ".join(f"{k} {settings.get(k)}" for k in differ)
        raise StepError(
            f"start state {path} was trained with {theirs}, this run with "
            + ", ".join(f"{k} {hp[k]}" for k in differ)
            + "; a run continues only a search of its own "
            + ", ".join(hyperparameters.CONTINUED)
        )
    mine = trainer.get_state()
    fresh_pool = mine.pop("pool", None)
    wanted = [*mine, "metrics", "elapsed"]
    if any(k not in arrays for k in wanted) or any(
        arrays[k].shape != v.shape for k, v in mine.items()
    ):
        raise StepError(
            f"start state {path} is not a final state of this solver; train its run again"
        )
    done = len(arrays["metrics"])
    if done >= hp["generations"]:
        raise StepError(
            f"start state {path} has trained {done} generations, this run trains "
            f"{hp['generations']} in all; give it more than {done}"
        )
    state = {key: arrays[key] for key in wanted}
    if fresh_pool is not None:
        pool = arrays.get("pool")
        fits = pool is not None and pool.shape == fresh_pool.shape
        state["pool"] = pool if fits else fresh_pool
    return state


def log_progress(rows: list[tuple[float, ...]], generations: int, window: int) -> None:
    """One line: generation, best and center loss, recent seconds per generation, ETA."""
    done = len(rows)
    back = min(window, done - 1)
    per_gen = (rows[-1][-1] - rows[-1 - back][-1]) / back if back else rows[-1][-1]
    log(
        f"gen {done}/{generations}  best {rows[-1][1]:.5f}  center {rows[-1][3]:.5f}  "
        f"{per_gen:.3f} s/gen  ETA {per_gen * (generations - done):.0f} s"
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    run_step(main)
