"""``pyrovae fit MODEL_FILE``: train a model file's model on text."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = """Train the model a model file builds (see docs/model-files.md).

examples:
  pyrovae fit models/lstm_vae.py                      # the bundled Austen corpus
  pyrovae fit models/lstm_vae.py --data train=ptb/train.txt valid=ptb/valid.txt test=ptb/test.txt \\
      --set epochs=20 model.latent_dim=32 --out runs/ptb-vae
  pyrovae fit models/lstm_vae.py --out runs/ptb-vae --resume    # continue a killed run
  torchrun --nproc_per_node 2 -m pyrovae.cli.main fit models/lstm_vae.py ...   # DDP
  pyrovae fit models/lstm_vae.py --set posterior=iaf posterior.steps=4 prior=mog prior.components=10
  pyrovae fit models/lstm_vae.py --set posterior=guides/iaf.py posterior.steps=4    # a guide file

run options (--set KEY=VALUE; model options: --set model.KEY=VALUE, see the model file's build();
objective: --set objective=NAME objective.KEY=VALUE; posterior and prior, docs/latents.md:
--set posterior=NAME|FILE.py posterior.KEY=VALUE prior=NAME|FILE.py prior.KEY=VALUE):
"""

# Options that may change when a run is resumed; anything else would make it a different run.
RESUMABLE_OVERRIDES = {
    "epochs", "max_steps", "progress", "device", "log_every", "checkpoint_every", "eval_iw_samples",
    "eval_mi_points", "monitor_every",
}


def _description() -> str:
    """``fit --help``: examples, every run option with its help and range, the registered names."""
    from pyrovae.cli.options import describe_config_options
    from pyrovae.infer import OBJECTIVES, Objective
    from pyrovae.latent import POSTERIORS, PRIORS

    return (
        HELP
        + describe_config_options()
        + "\n\nobjectives (--set objective=NAME objective.KEY=VALUE, or objective=FILE.py defining objective(**options)):\n"
        + OBJECTIVES.describe(common=Objective.common_options)
        + "\n  every objective also takes analytic_kl=True (a closed-form KL where one is registered) and "
        "num_particles=1 (samples of z per sentence)"
        + "\n\nposteriors (--set posterior=NAME posterior.KEY=VALUE, or posterior=GUIDE_FILE.py):\n"
        + POSTERIORS.describe()
        + "\n\npriors (--set prior=NAME prior.KEY=VALUE, or prior=FILE.py):\n"
        + PRIORS.describe()
    )


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "fit",
        help="train a model file's model",
        description_factory=_description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model_file", metavar="MODEL_FILE", help="a .py file defining build(codec, **options)")
    parser.add_argument("--data", nargs="+", metavar="SPLIT=PATH", help="train=PATH [valid=PATH] [test=PATH]; PATH may be hf:NAME[:CONFIG][#COLUMN]")
    parser.add_argument("--config", metavar="FILE", help="JSON or TOML file of run options")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", dest="assignments", help="run, model.*, objective.*, posterior.* and prior.* options")
    parser.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/<model file name>)")
    parser.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from its last checkpoint")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pyrovae.cli.options import (
        merge,
        parse_assignments,
        parse_data,
        read_config_file,
    )
    from pyrovae.errors import CheckpointError, ConfigError
    from pyrovae.model_file import load_model_file
    from pyrovae.train.config import RunConfig
    from pyrovae.train.run_directory import RunDirectory

    model_file = load_model_file(args.model_file)
    run_dir = RunDirectory(args.out or Path("runs") / Path(args.model_file).stem)
    overrides = merge(
        read_config_file(args.config) if args.config else {},
        {"model": {}, **parse_data(args.data)},
        parse_assignments(args.assignments),
    )
    if args.resume:
        config = run_dir.load_config()
        if Path(args.model_file).read_bytes() != run_dir.model_file_path.read_bytes():
            raise ConfigError(
                f"{args.model_file} differs from the model file {run_dir.path} was trained with ({run_dir.model_file_path}): "
                f"--resume continues a run with its own model file; pass {run_dir.model_file_path}, or start a new run"
            )
        model_file = run_dir.load_model_file()
        changed = {k for k, v in overrides.items() if v not in ({}, None) and config.to_dict().get(k) != v}
        if changed - RESUMABLE_OVERRIDES:
            raise ConfigError(
                f"cannot change {', '.join(sorted(changed - RESUMABLE_OVERRIDES))} when resuming {run_dir.path}: "
                f"only {', '.join(sorted(RESUMABLE_OVERRIDES))} may change; start a new run with another --out"
            )
        config = config.replace(**{k: overrides[k] for k in changed})
    else:
        if run_dir.checkpoints.exists():
            raise CheckpointError(
                f"{run_dir.path} already holds a run: continue it with --resume, or pass --out NEW_DIR"
            )
        config = RunConfig.from_dict(merge(model_file.defaults, overrides))
    return _fit(model_file, run_dir, config, resume=args.resume)


def _fit(model_file, run_dir, config, resume: bool) -> int:
    import pyro
    import torch

    from pyrovae.cli.final_evaluation import final_evaluation
    from pyrovae.data import (
        EpochBatches,
        FixedBatches,
        SentenceDataset,
        default_corpus,
        load_splits,
    )
    from pyrovae.errors import ConfigError
    from pyrovae.infer import OBJECTIVES
    from pyrovae.infer.objective_file import objective_from_file
    from pyrovae.latent.factory import configured_factories, is_file_spec
    from pyrovae.text import Vocabulary
    from pyrovae.train.aggressive import AggressiveTrainer
    from pyrovae.train.distributed import init_distributed, shutdown_distributed
    from pyrovae.train.precision import Precision
    from pyrovae.train.trainer import Trainer, resolve_device

    # Everything that can be checked without data is checked before the data is loaded.
    model_file.check_options(config.model)
    objective = None if config.objective is not None else model_file.make_objective()
    if objective is None and config.objective is not None and is_file_spec(config.objective):
        copy = run_dir.path / "objective.py"
        objective = objective_from_file(copy if resume and copy.is_file() else Path(config.objective), config.objective_options)
    elif objective is None:
        objective = OBJECTIVES.build(config.objective or "elbo", **config.objective_options)
    elif config.objective_options:
        raise ConfigError(
            f"objective.* options need --set objective=NAME: {model_file.path.name} defines its own "
            "objective object, which is configured in the file"
        )
    latents = configured_factories(
        config, model_file.build_options(), model_file.path.name, run_dir.path if resume else None
    )
    device_type = "cuda" if config.device.startswith("cuda") or (config.device == "auto" and torch.cuda.is_available()) else "cpu"
    Precision(config.amp, torch.device(device_type))
    context = init_distributed(device_type)
    if config.train is None:
        bundled = default_corpus()
        config = config.replace(**{split: str(path) for split, path in bundled.items()})
    splits = load_splits(config.train, config.valid, config.test)
    for note in splits.notes:
        print(f"note: {note}")
    if resume:
        codec = run_dir.load_codec(model_file)
    elif model_file.codec is not None:
        codec = model_file.make_codec(splits.train, config.model)
    else:
        codec = Vocabulary.build(splits.train, max_size=config.max_vocab, min_count=config.min_count)
    train_set = SentenceDataset(splits.train, codec, max_length=config.max_length)
    valid_set = SentenceDataset(splits.valid, codec)
    test_set = SentenceDataset(splits.test, codec) if splits.test else None

    pyro.set_rng_seed(config.seed)
    model = model_file.build_model(codec, {**config.model, **latents})
    if context.is_main and not resume:
        run_dir.save_setup(config, codec, model_file.path)
    context.barrier()
    if context.is_main:
        print(
            f"training {type(model).__name__} ({sum(p.numel() for p in model.parameters()):,} parameters) "
            f"with {type(objective).__name__} on {len(train_set):,} sentences "
            f"({train_set.num_tokens:,} predicted {codec.token_unit}s; {codec.describe()}); run directory {run_dir.path}"
        )
    train_batches = EpochBatches(
        train_set, config.batch_size, seed=config.seed, num_replicas=context.world_size, rank=context.rank
    )
    trainer_class = AggressiveTrainer if config.aggressive else Trainer
    trainer = trainer_class(
        model, objective, config, run_dir.path, train_batches, FixedBatches(valid_set, config.eval_batch_size), context
    )
    state = trainer.fit(resume=resume)
    shutdown_distributed(context)
    if not context.is_main:
        return 0
    print(f"finished after {state.step} steps ({state.stop_reason})")
    final_evaluation(run_dir, {"valid": valid_set, "test": test_set}, config, resolve_device(config.device, context))
    return 0
