"""Reading sentences: local text files (one sentence a line) and HuggingFace hub datasets.

A *source* is either a path to a UTF-8 text file with one tokenised sentence per line, or a hub
dataset written ``hf:NAME[:CONFIG][#COLUMN]`` (e.g. ``hf:stanfordnlp/sst2#sentence``); without
``#COLUMN`` the column ``sentence`` is used, else ``text``. Local files are read here, once, with
plain Python (a missing, empty or mis-encoded file gives one clear
:class:`~pyrovae.errors.DataError`); HuggingFace ``datasets``, whose import alone costs about a
second, is imported only for hub datasets.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pyrovae.errors import ConfigError, DataError
from pyrovae.hub import hub_reachable, offline_by_environment

logger = logging.getLogger(__name__)

HUB_PREFIX = "hf:"
HOLDOUT_FRACTION = 0.05
"""Fraction of the training sentences held out as validation when no validation split is given."""

_DEFAULT_COLUMNS = ("sentence", "text")
_VALID_SPLIT_NAMES = ("validation", "valid", "dev")
_SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Splits:
    """Sentences of a corpus, split for training, model selection and final evaluation.

    Attributes:
        train: training sentences (stripped, non-blank lines).
        valid: validation sentences.
        test: test sentences, or ``None`` when no test source was given.
        sources: where each split came from (a path, a hub name, or a note such as
            ``"last 5% of <train source>"``).
        notes: what was done beyond reading, in words (e.g. the validation hold-out); each note is
            also logged at INFO level.
    """

    train: list[str]
    valid: list[str]
    test: list[str] | None = None
    sources: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> list[str]:
        """``splits["train"]`` etc.; raises ``KeyError`` for an absent split."""
        value = getattr(self, name, None) if name in _SPLITS else None
        if value is None:
            raise KeyError(name)
        return value

    def as_dict(self) -> dict[str, list[str]]:
        """The splits that are present, by name (``train``, ``valid`` and maybe ``test``)."""
        return {name: getattr(self, name) for name in _SPLITS if getattr(self, name) is not None}


def default_corpus() -> dict[str, Path]:
    """Paths of the small bundled corpus (Jane Austen sentences), used when no data is given.

    :returns: ``{"train": Path, "valid": Path, "test": Path}``.
    :raises DataError: if the package was installed without its corpus files.
    """
    folder = Path(__file__).resolve().parent / "corpora"
    paths = {split: folder / f"austen.{split}.txt" for split in _SPLITS}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise DataError(
            f"the bundled corpus is missing ({', '.join(missing)}): reinstall pyrovae with its "
            "package data, or pass your own text files"
        )
    return paths


def read_text_file(path: str | os.PathLike) -> list[str]:
    """Sentences of a UTF-8 text file: its lines, stripped, blank lines dropped.

    Lines are split as Python's text mode and the ``datasets`` text loader split them (``\\n``,
    ``\\r\\n`` or ``\\r``); a UTF-8 byte-order mark is ignored.

    :raises DataError: if the file does not exist, is not valid UTF-8 (the message gives the line
        and byte offset of the first bad byte), or has no non-blank line.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise DataError(
            f"text file {str(path)!r} {what}: pass an existing text file with one sentence per line"
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        offset = e.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, offset) + 1
        raise DataError(
            f"text file {str(path)!r} is not valid UTF-8: byte 0x{data[offset]:02x} at byte offset "
            f"{offset} (line {line}) cannot be decoded. Convert the file, e.g. "
            f"`iconv -f latin1 -t utf-8 {path.name} > {path.stem}.utf8{path.suffix}`, "
            "or re-save it as UTF-8 in your editor"
        ) from None
    sentences = _clean(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if not sentences:
        raise DataError(
            f"text file {str(path)!r} is empty (no non-blank line): pass a file with one "
            "sentence per line"
        )
    return sentences


def load_splits(
    train: str | os.PathLike,
    valid: str | os.PathLike | None = None,
    test: str | os.PathLike | None = None,
) -> Splits:
    """Load the training, validation and (optional) test sentences.

    Each argument is a local text file path or a hub dataset ``hf:NAME[:CONFIG][#COLUMN]``. A hub
    dataset gives the split named after the argument: ``train``; ``validation``, ``valid`` or
    ``dev``; ``test``.

    Without ``valid``: if ``train`` is a hub dataset that has a validation split, that split is
    used; otherwise the last 5% of the training sentences (at least one, in file order, so the
    same every run) become the validation set and are removed from training. A note in
    :attr:`Splits.notes` (also logged) says which.

    :raises DataError: for a missing, empty or undecodable file, an unreachable hub (offline), an
        unknown hub dataset, split or column, or a training set too small to hold out from.
    """
    if train is None:
        raise ConfigError(
            "load_splits needs a training source: a text file path or hf:NAME[:CONFIG][#COLUMN]"
        )
    notes: list[str] = []
    sources: dict[str, str] = {}
    loaded: dict[str, list[str] | None] = {}
    hub_cache: dict[tuple[str, str | None], object] = {}

    given = {"train": train, "valid": valid, "test": test}
    for split, source in given.items():
        if source is not None:
            sources[split] = os.fspath(source)
    # Read every local file first: a bad test file fails before any slow hub loading.
    for split, source in sources.items():
        if not source.startswith(HUB_PREFIX):
            loaded[split] = read_text_file(source)
    for split in given:
        source = sources.get(split)
        if source is None:
            loaded[split] = None
        elif source.startswith(HUB_PREFIX):
            loaded[split] = _load_hub(source, split, hub_cache)

    train_sentences = loaded["train"] or []
    valid_sentences = loaded["valid"]
    if valid_sentences is None:
        hub_valid = None
        if sources["train"].startswith(HUB_PREFIX):
            hub_valid = _load_hub(sources["train"], "valid", hub_cache, required=False)
        if hub_valid is not None:
            valid_sentences = hub_valid
            sources["valid"] = sources["train"]
            notes.append(
                f"no validation source given: using the validation split of {sources['train']}"
            )
        else:
            n = len(train_sentences)
            if n < 2:
                raise DataError(
                    f"no validation source given and the training data {sources['train']!r} has "
                    f"only {n} sentence, too few to hold out a validation set: pass a validation "
                    "file (valid=path/valid.txt)"
                )
            k = max(1, int(n * HOLDOUT_FRACTION))
            valid_sentences = train_sentences[n - k :]
            train_sentences = train_sentences[: n - k]
            sources["valid"] = f"last {k} sentences of {sources['train']}"
            notes.append(
                f"no validation source given: held out the last {k} of {n} training sentences "
                f"({HOLDOUT_FRACTION:.0%}, in file order) as the validation set; pass "
                "valid=path/valid.txt to choose it yourself"
            )
    for note in notes:
        logger.info(note)
    return Splits(
        train=train_sentences,
        valid=valid_sentences,
        test=loaded["test"],
        sources=sources,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------- helpers


def _clean(lines) -> list[str]:
    stripped = (line.strip() for line in lines)
    return [line for line in stripped if line]


def _parse_hub(source: str) -> tuple[str, str | None, str | None]:
    spec = source[len(HUB_PREFIX) :]
    spec, _, column = spec.partition("#")
    name, _, config = spec.partition(":")
    if not name:
        raise DataError(
            f"hub dataset {source!r} has no name: write hf:NAME[:CONFIG][#COLUMN], "
            "e.g. hf:stanfordnlp/sst2#sentence"
        )
    return name, (config or None), (column or None)


def _offline_error(name: str) -> DataError:
    return DataError(
        f"could not load dataset {name!r} from the HuggingFace hub (offline?): pass local text "
        "files instead, e.g. --data train=path/train.txt valid=path/valid.txt test=path/test.txt "
        "(a dataset already in the HuggingFace cache loads with HF_HUB_OFFLINE=1)"
    )


def _load_hub(source: str, split: str, cache: dict, required: bool = True) -> list[str] | None:
    name, config, column = _parse_hub(source)
    key = (name, config)
    if key not in cache:
        cache[key] = _load_hub_dataset(name, config)
    dataset_dict = cache[key]

    wanted = {"train": ("train",), "valid": _VALID_SPLIT_NAMES, "test": ("test",)}[split]
    available = list(dataset_dict.keys())
    found = next((s for s in wanted if s in dataset_dict), None)
    if found is None:
        if not required:
            return None
        raise DataError(
            f"hub dataset {name!r} has no {'/'.join(wanted)} split (it has {available}): pass "
            f"a local file for {split}, or leave {split} out"
        )
    dataset = dataset_dict[found]
    columns = list(dataset.column_names)
    if column is None:
        column = next((c for c in _DEFAULT_COLUMNS if c in columns), None)
        if column is None:
            raise DataError(
                f"hub dataset {name!r} has no 'sentence' or 'text' column (it has {columns}): "
                f"name the text column, e.g. {HUB_PREFIX}{name}{':' + config if config else ''}"
                f"#{columns[0] if columns else 'COLUMN'}"
            )
    elif column not in columns:
        raise DataError(
            f"hub dataset {name!r} split {found!r} has no column {column!r} (it has {columns}): "
            "fix the #COLUMN part of the source"
        )
    values = dataset[column]
    if values and not isinstance(values[0], str):
        raise DataError(
            f"column {column!r} of hub dataset {name!r} holds {type(values[0]).__name__}, not "
            "text: name a text column with #COLUMN"
        )
    sentences = _clean(values)
    if not sentences:
        raise DataError(
            f"split {found!r} of hub dataset {name!r} is empty (no non-blank {column!r}): pass "
            "another split or local files"
        )
    return sentences


def _load_hub_dataset(name: str, config: str | None):
    """``datasets.load_dataset(name, config)``, failing fast and clearly when offline."""
    if offline_by_environment():
        import datasets

        if not datasets.config.HF_HUB_OFFLINE:
            # The variable was set after ``datasets`` was imported, which then still retries the
            # network for ~25 s: give the answer now.
            raise _offline_error(name)
    else:
        import datasets

        if not datasets.config.HF_HUB_OFFLINE and not hub_reachable(datasets.config.HF_ENDPOINT):
            raise _offline_error(name)
    from datasets.exceptions import DatasetNotFoundError

    try:
        return datasets.load_dataset(name, config)
    except DatasetNotFoundError as e:
        raise DataError(
            f"no dataset {name!r} on the HuggingFace hub, or it is private/gated ({e}): check the "
            "name, or pass local text files"
        ) from None
    except (ConnectionError, OSError) as e:
        logger.debug("hub load of %r failed: %r", name, e)
        raise _offline_error(name) from None
    except ValueError as e:
        raise DataError(
            f"could not load dataset {name!r} (config {config!r}) from the HuggingFace hub: {e}; "
            "fix the hf:NAME[:CONFIG] source"
        ) from None
