"""``pyrovae latents`` and ``pyrovae analyse`` on a tiny trained run, and their one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from pyrovae.analysis import LatentSamples, RunLatents
from pyrovae.cli.main import main
from tests.cli.conftest import TINY, data_args

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[2]
LSTM_VAE = str(REPO / "models" / "lstm_vae.py")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: an analysis that only has to run: a few SVI steps and draws.
QUICK = ["--steps", "30", "--draws", "20", "--components", "2", "--no-progress"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A VAE (latent_dim 4) trained for 10 steps on the first 320 sentences of the bundled corpus."""
    from pyrovae.data import default_corpus

    folder = tmp_path_factory.mktemp("analyse")
    sizes = {"train": 320, "valid": 64, "test": 64}
    corpus = {split: folder / f"{split}.txt" for split in sizes}
    for split, path in corpus.items():
        sentences = default_corpus()[split].read_text(encoding="utf-8").splitlines()
        path.write_text("".join(f"{line}\n" for line in sentences[: sizes[split]]), encoding="utf-8")
    run = folder / "run"
    assert main(["fit", LSTM_VAE, *data_args(corpus), "--out", str(run), "--set", *TINY, "max_steps=10"]) == 0
    return run


def _error(capsys, argv) -> str:
    """The message of a command that must fail with status 2 and a single ``error:`` line."""
    capsys.readouterr()
    status = main(argv)
    message = capsys.readouterr().err
    assert status == 2 and message.startswith("error: ") and message.count("\n") == 1, message
    return message


def test_latents_file_holds_codes_rates_and_prior_draws(tiny_run, tmp_path, capsys):
    out = tmp_path / "latents.safetensors"
    assert main(["latents", str(tiny_run), "--out", str(out), "--per-point", "2", "--prior-samples", "50", "--no-progress"]) == 0
    latents = RunLatents.load(out)
    codes = latents.aggregate
    assert codes.z.shape == (128, 4) and codes.rate.shape == (128,) and codes.log_prior_dims.shape == (128, 4)
    assert latents.prior.z.shape == (50, 4) and latents.prior.rate is None
    assert latents.metadata["split"] == "valid" and latents.metadata["per_point"] == 2
    assert latents.metadata["name"] == "run" and latents.metadata["prior"].startswith("StandardNormal")
    # each sentence's two codes are consecutive, and every sentence of the file appears
    assert torch.equal(codes.sentence[0::2], codes.sentence[1::2])
    assert sorted(codes.sentence[0::2].tolist()) == list(range(64))
    # known answers: log p(z) of N(0, I), and the rate that `fit` reported on the same sentences
    torch.testing.assert_close(codes.log_prior, torch.distributions.Normal(0.0, 1.0).log_prob(codes.z).sum(-1))
    final = json.loads((tiny_run / "final_metrics.json").read_text())["valid"]["rate"]["value"]
    assert float(codes.rate.double().mean()) == pytest.approx(final, rel=1e-4, abs=1e-6)


def test_analyse_run_directory_writes_the_report(tiny_run, tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["analyse", str(tiny_run), "--out", str(out), "--num-samples", "40", *QUICK]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "marginal KL (nats)" in printed and "prior" in printed
    assert (out / "latents" / "run.safetensors").is_file()  # drawn now, kept for the next analysis
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["groups"]) == {"run", "prior"} and summary["reference"] == "prior"
    run = summary["groups"]["run"]
    assert run["num_samples"] == 40 and run["marginal_kl"]["unit"] == "nats"
    assert run["rate"]["unit"] == "nats/sentence" and run["index_code_mi"]["mean"] == pytest.approx(
        run["rate"]["value"] - run["marginal_kl"]["mean"], abs=0.05
    )
    for name in ("elbo_trace.png", "mixing_weights.png", "marginal_kl.png", "marginal_kl_posterior.png"):
        assert (out / name).read_bytes()[:8] == PNG_SIGNATURE, name
    assert "weights[run, 0]" in (out / "az_summary.txt").read_text()


def test_analyse_reads_latents_files_and_names_groups_uniquely(tiny_run, tmp_path, capsys):
    path = tmp_path / "codes.safetensors"
    assert main(["latents", str(tiny_run), "--out", str(path), "--no-progress"]) == 0
    out = tmp_path / "report"
    argv = ["analyse", str(path), str(path), "--out", str(out), "--univariate", "--no-plots", "--prior-samples", "30", *QUICK]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["groups"]) == ["run", "run-2", "prior"]
    assert summary["groups"]["prior"]["num_samples"] == 30
    assert len(summary["groups"]["run"]["marginal_kl_per_dim"]) == 4
    assert not (out / "mixing_weights.png").exists()


def _latents_file(path: Path, dim: int, rows: int = 20) -> Path:
    z = torch.randn(rows, dim)
    samples = LatentSamples(z, torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1))
    return RunLatents(samples, samples, {"name": path.stem}).save(path)


def test_bad_input_gets_one_clear_error(tmp_path, capsys):
    four, three = _latents_file(tmp_path / "four.safetensors", 4), _latents_file(tmp_path / "three.safetensors", 3)
    with pytest.raises(SystemExit) as exit_info:
        main(["analyse"])  # no runs: argparse's usage error
    assert exit_info.value.code == 2
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    analyse = ["analyse", "--out", str(tmp_path / "report")]
    expected = [
        ([*analyse, str(four), str(three)], ["different latent dimensions", "four: 4", "three: 3"]),
        ([*analyse, str(empty)], ["empty.safetensors", "not a readable safetensors file"]),
        ([*analyse, str(four), "--family", "gamma"], ["unknown component family 'gamma'", "studentt"]),
        ([*analyse, str(tmp_path / "nowhere")], ["neither a run directory nor a latents file"]),
        ([*analyse, str(four), "--prior-samples", "500"], ["holds 20 prior draws", "--prior-samples 500"]),
        ([*analyse, str(four), "--prior-samples", "0", "--compare"], ["needs a reference group"]),
        ([*analyse, str(tmp_path)], ["not a pyrovae run"]),
        (["latents", str(tmp_path), "--per-point", "0"], ["--per-point must be at least 1"]),
    ]
    for argv, fragments in expected:
        message = _error(capsys, argv)
        assert all(fragment in message for fragment in fragments), (argv, message)
