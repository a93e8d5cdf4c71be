"""``pyrovae sample RUN_DIR``: sentences decoded from prior samples, and reconstructions."""

from __future__ import annotations

import argparse

HELP = """Greedy decoding from codes z ~ p(z), and reconstructions (greedy decoding from the
posterior mean, or a posterior sample where the posterior has no closed-form mean) of given
sentences. Sentences are tokenised on whitespace; words outside the vocabulary become <unk>."""


def add_parser(commands) -> None:
    parser = commands.add_parser("sample", help="decode prior samples and reconstruct sentences", description=HELP)
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--num", type=int, default=10, help="number of prior samples (default 10)")
    parser.add_argument("--reconstruct", nargs="+", default=[], metavar="SENTENCE", help="sentences to reconstruct")
    parser.add_argument("--max-length", type=int, default=40, help="maximum generated tokens")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", default="best", choices=["best", "latest"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pyro
    import torch

    from pyrovae.data import collate
    from pyrovae.errors import ConfigError
    from pyrovae.train.run_directory import RunDirectory

    if args.num < 0:
        raise ConfigError(f"--num must be non-negative, got {args.num}")
    if args.max_length < 1:
        raise ConfigError(f"--max-length must be at least 1 token, got {args.max_length}")
    model, vocab, _ = RunDirectory(args.run_dir).load_model(args.checkpoint)
    pyro.set_rng_seed(args.seed)
    options = dict(bos_id=vocab.bos_id, eos_id=vocab.eos_id, max_length=args.max_length)
    if args.num:
        print(f"# {args.num} greedy decodings of z ~ p(z)")
        if model.latent_dim:
            z = model.prior().sample(torch.Size([args.num]))
            sequences = model.decode(z, **options)
        else:
            sequences = model.decode(None, num_sequences=args.num, **options)
        for ids in sequences:
            print(vocab.decode(ids))
    if args.reconstruct:
        encoded = [vocab.encode(sentence.split()) for sentence in args.reconstruct]
        if any(len(ids) == 0 for ids in encoded):
            raise ConfigError("--reconstruct got an empty sentence")
        batch = collate(encoded, vocab)
        print("# reconstructions (input -> greedy decoding of the posterior mean)")
        if model.latent_dim:
            posterior = model.posterior_distribution(batch)
            try:
                z = posterior.mean
            except NotImplementedError:
                z = posterior.sample()
            outputs = model.decode(z, **options)
        else:
            outputs = model.decode(None, num_sequences=len(encoded), **options)
        for ids, output in zip(encoded, outputs):
            print(f"{vocab.decode(ids)}  ->  {vocab.decode(output)}")
    return 0
