"""``sample``, ``interpolate``, ``evaluate``, ``diagnose`` and ``compare`` on a tiny trained run:
known answers through the command line, the files each command writes, and one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pyrovae.cli.main import main
from pyrovae.data import default_corpus
from tests.cli.conftest import TINY
from tests.cli.test_bad_input import _fails as fails_with_message
from tests.plots.png import assert_png

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[2]


def _fit(model_file: str, out: Path, corpus: Path, options: list[str] = TINY) -> Path:
    data = ["--data"] + [f"{split}={corpus / f'{split}.txt'}" for split in ("train", "valid", "test")]
    assert main(["fit", str(REPO / "models" / model_file), *data, "--out", str(out), "--set", *options, "epochs=1"]) == 0
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for split, count in (("train", 320), ("valid", 64), ("test", 64)):
        lines = default_corpus()[split].read_text(encoding="utf-8").splitlines()[:count]
        (folder / f"{split}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory, corpus) -> Path:
    return _fit("lstm_vae.py", tmp_path_factory.mktemp("vae") / "run", corpus)


def _output(capsys, argv) -> list[str]:
    capsys.readouterr()
    assert main(argv) == 0
    return capsys.readouterr().out.splitlines()


def _fails(capsys, argv, *fragments) -> None:
    """Exit status 2 and a single ``error:`` line holding every fragment."""
    capsys.readouterr()
    err = fails_with_message(capsys, argv, *fragments)
    assert err.count("\n") == 1, err


def test_sample_top_1_is_greedy_and_full_nucleus_is_ancestral(vae_run, capsys):
    sample = ["sample", str(vae_run), "--num", "6", "--max-length", "8", "--seed", "3"]
    greedy = _output(capsys, sample)
    assert greedy[0] == "# 6 greedy decodings of z ~ p(z)"
    assert _output(capsys, sample + ["--decode", "top-k", "--top-k", "1"])[1:] == greedy[1:]
    assert _output(capsys, sample + ["--decode", "nucleus", "--top-p", "1e-9"])[1:] == greedy[1:]
    ancestral = _output(capsys, sample + ["--decode", "ancestral"])
    assert _output(capsys, sample + ["--decode", "nucleus", "--top-p", "1"])[1:] == ancestral[1:]
    assert ancestral[1:] != greedy[1:]


def test_sample_from_the_posterior_and_reconstructions(vae_run, capsys):
    lines = _output(capsys, ["sample", str(vae_run), "--from", "posterior", "--num", "2", "--decode", "top-k", "--reconstruct", "she was very happy .", "it was a fine day ."])
    assert lines[0] == "# 2 top-15 decodings of z ~ q(z | x) per sentence"
    assert lines[1] == "she was very happy ." and lines[2].startswith("    ") and lines[4] == "it was a fine day ."
    assert lines[7] == "# reconstructions (input -> top-15 decoding of the posterior mean)"
    assert lines[8].startswith("she was very happy .  ->  ")


def test_interpolation_endpoints_are_the_greedy_reconstructions(vae_run, capsys):
    sentences = ["she was very happy .", "it was a fine day and they walked to the house ."]
    reconstructions = _output(capsys, ["sample", str(vae_run), "--num", "0", "--reconstruct", *sentences])
    ends = [line.split("  ->  ")[1] for line in reconstructions[1:]]
    path = _output(capsys, ["interpolate", str(vae_run), *sentences, "--steps", "5"])
    assert path[0].startswith("# greedy decodings from the posterior mean of 'she was very happy .'")
    assert [line[:6] for line in path[1:]] == ["0.00  ", "0.25  ", "0.50  ", "0.75  ", "1.00  "]
    assert [path[1][6:], path[-1][6:]] == ends
    prior = _output(capsys, ["interpolate", str(vae_run), "--prior", "--steps", "3", "--decode", "nucleus"])
    assert prior[0] == "# nucleus p=0.9 decodings from z1 ~ p(z) to z2 ~ p(z), 3 steps" and len(prior) == 4


def test_evaluate_writes_every_scalar_metric(vae_run, tmp_path, capsys):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("category\tgrammatical\tungrammatical\nagreement\tshe was happy .\tshe were happy .\nagreement\tthey were happy .\tthey was happy .\n")
    out = tmp_path / "eval.json"
    argv = ["evaluate", str(vae_run), "--split", "valid", "--iw-samples", "2", "--num-generated", "20", "--minimal-pairs", str(pairs), "--out", str(out), "--no-progress"]
    printed = "\n".join(_output(capsys, argv))
    report = json.loads(out.read_text())
    expected = ["elbo", "nll", "ppl", "marginal_kl", "total_correlation", "ks_max", "mmd", "accuracy_drop", "js_divergence",
                "reconstruction.bleu4", "reconstruction.rouge2[<=10 words]", "self_bleu4", "minimal_pairs.p1", "minimal_pairs[agreement].p2"]
    for name in expected:
        assert name in report and name in printed, name
    assert report["split"] == "valid" and report["self_bleu4"]["unit"] == "% BLEU-4"
    assert report["reconstruction.bleu4"]["unit"] == "% BLEU-4" and 0 <= report["reconstruction.bleu4"]["value"] <= 100
    assert report["minimal_pairs.count"]["value"] == 2
    skipped = tmp_path / "skipped.json"
    _output(capsys, ["evaluate", str(vae_run), "--iw-samples", "0", "--skip", "latent", "decoder-use", "reconstruction", "generation", "--out", str(skipped), "--no-progress"])
    names = set(json.loads(skipped.read_text()))
    assert "ppl_bound" in names and not names & {"marginal_kl", "accuracy_drop", "reconstruction.bleu4", "self_bleu4"}


def test_diagnose_writes_a_report_that_compare_reads(vae_run, tmp_path, capsys):
    report_dir = tmp_path / "report"
    lines = _output(capsys, ["diagnose", str(vae_run), "--out", str(report_dir), "--decoder-samples", "2", "--no-progress"])
    assert lines[-1].startswith(f"wrote {report_dir}/: report.json, summary.txt")
    for figure in ("posterior_marginals.png", "per_dimension_tests.png", "decoder_use.png"):
        assert_png(report_dir / figure)
    report = json.loads((report_dir / "report.json").read_text())
    assert report["format"] == "pyrovae.diagnose-report" and report["split"] == "valid" and report["run"] == str(vae_run.resolve())
    assert len(report["latent"]["ks_statistic"]) == 4 and len(report["decoder_use"]["js_curve"]) == 10
    assert report["metrics"]["marginal_kl"]["unit"] == "nats" and report["metrics"]["rate"]["unit"] == "nats/sentence"
    assert "marginal KL" in (report_dir / "summary.txt").read_text()

    # A copy of the run without a report: compare names the command, then computes it on request.
    undiagnosed = tmp_path / "copy"
    shutil.copytree(vae_run, undiagnosed, ignore=shutil.ignore_patterns("diagnose-*"))
    out = tmp_path / "comparison"
    printed = "\n".join(_output(capsys, ["compare", str(report_dir), str(undiagnosed), "--out", str(out)]))
    assert f"copy: no aggregate-posterior figures for valid: run `pyrovae diagnose {undiagnosed} --split valid`" in printed
    runs = json.loads((out / "runs.json").read_text())["runs"]
    assert runs["run"]["metrics"]["marginal_kl"] == report["metrics"]["marginal_kl"]
    assert "marginal_kl" not in runs["copy"]["metrics"] and "rate" in runs["copy"]["metrics"]  # from final_metrics.json
    _output(capsys, ["compare", str(report_dir), str(undiagnosed), "--out", str(out), "--compute-missing", "--no-progress"])
    runs = json.loads((out / "runs.json").read_text())["runs"]
    assert runs["copy"]["metrics"]["marginal_kl"]["value"] == pytest.approx(report["metrics"]["marginal_kl"]["value"])  # same weights, same seed
    assert (out / "reports" / "copy" / "report.json").is_file() and not (undiagnosed / "diagnose-valid").exists()
    for figure in ("rate_distortion.png", "rate_marginal_kl.png"):
        assert_png(out / figure)


def test_a_language_model_samples_but_has_no_latent_space(tmp_path, corpus, capsys):
    run = _fit("lstm_lm.py", tmp_path / "lm", corpus, [option for option in TINY if not option.startswith("model.latent_dim")])
    lines = _output(capsys, ["sample", str(run), "--num", "3", "--decode", "nucleus", "--max-length", "6", "--reconstruct", "she was happy ."])
    assert lines[0] == "# 3 nucleus p=0.9 decodings of z ~ p(z)" and len(lines) == 6
    _output(capsys, ["evaluate", str(run), "--iw-samples", "1", "--num-generated", "10", "--out", str(tmp_path / "lm.json"), "--no-progress"])
    report = json.loads((tmp_path / "lm.json").read_text())
    assert "no latent variable" in report["reconstruction.bleu4"]["note"] and "self_bleu4" in report
    assert "marginal_kl" not in report and "accuracy_drop" not in report
    _fails(capsys, ["interpolate", str(run), "a b", "c d"], "no latent variable")
    _fails(capsys, ["diagnose", str(run)], "no latent variable")
    _fails(capsys, ["sample", str(run), "--from", "posterior", "--reconstruct", "a b"], "no latent variable")


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["sample", "{missing}"], ["does not exist"]),
        (["interpolate", "{missing}", "a", "b"], ["does not exist"]),
        (["evaluate", "{missing}"], ["does not exist"]),
        (["diagnose", "{missing}"], ["does not exist"]),
        (["compare", "{missing}"], ["does not exist"]),
        (["compare", "{tmp}"], ["neither a pyrovae run", "nor a diagnose report folder"]),
        (["sample", "{run}", "--decode", "beam"], ["unknown decoding strategy 'beam'", "greedy, ancestral, top-k, nucleus"]),
        (["sample", "{run}", "--decode", "top-k", "--top-k", "0"], ["--top-k must be an integer >= 1, got 0"]),
        (["interpolate", "{run}", "a", "b", "--top-p", "0"], ["--top-p must be in (0, 1], got 0.0"]),
        (["evaluate", "{run}", "--top-p", "1.5"], ["--top-p must be in (0, 1], got 1.5"]),
        (["sample", "{run}", "--reconstruct", "a b", "  "], ["sentence 2 is empty"]),
        (["interpolate", "{run}", "", "a b"], ["sentence 1 is empty"]),
        (["interpolate", "{run}", "just one"], ["two sentences (or --prior), got 1"]),
        (["interpolate", "{run}", "a", "b", "--steps", "1"], ["--steps must be at least 2"]),
        (["sample", "{run}", "--from", "posterior"], ["--from posterior decodes codes of given sentences"]),
        (["sample", "{run}", "--from", "nowhere"], ["--from must be prior or posterior"]),
        (["evaluate", "{run}", "--skip", "latent", "everything"], ["--skip got unknown part(s) everything"]),
        (["evaluate", "{run}", "--minimal-pairs", "{missing}"], ["missing"]),
        (["diagnose", "{run}", "--decoder-samples", "1"], ["--decoder-samples must be at least 2"]),
    ],
)
def test_bad_input_gets_one_line(vae_run, tmp_path, capsys, argv, fragments):
    values = {"run": str(vae_run), "missing": str(tmp_path / "missing"), "tmp": str(tmp_path)}
    _fails(capsys, [arg.format(**values) for arg in argv], *fragments)


def test_compare_finds_a_report_that_diagnose_wrote_inside_the_run(vae_run, tmp_path, capsys):
    """`pyrovae diagnose RUN --out RUN/report` then `pyrovae compare RUN` (the README's order)."""
    run = tmp_path / "run"
    shutil.copytree(vae_run, run, ignore=shutil.ignore_patterns("diagnose-*"))
    _output(capsys, ["diagnose", str(run), "--out", str(run / "report"), "--decoder-samples", "2", "--no-progress"])
    printed = "\n".join(_output(capsys, ["compare", str(run), "--out", str(tmp_path / "comparison")]))
    runs = json.loads((tmp_path / "comparison" / "runs.json").read_text())["runs"]
    assert "marginal_kl" in runs["run"]["metrics"] and str(run / "report" / "report.json") in runs["run"]["sources"]
    assert "no aggregate-posterior figures" not in printed


def test_curves_draw_the_training_logs_of_runs(vae_run, tmp_path, capsys):
    out = tmp_path / "curves.png"
    lines = _output(capsys, ["curves", str(vae_run), str(vae_run), "--out", str(out)])
    assert lines[-1] == f"wrote {out} (2 runs)"
    assert_png(out)
    fails_with_message(capsys, ["curves", str(tmp_path)], "not a pyrovae run")
