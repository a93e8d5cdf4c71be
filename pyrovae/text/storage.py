"""A codec inside a run directory: its own files plus ``codec.json`` naming its class.

``save_codec(codec, folder)`` writes the codec's files (:meth:`~pyrovae.text.TextCodec.save_pretrained`)
and ``codec.json``::

    {"format": "pyrovae.codec", "version": 1, "class": "Vocabulary", "module": "pyrovae.text.vocabulary",
     "token_unit": "word", "vocab_size": 4406, "special_ids": {"pad": 0, "bos": 2, "eos": 3, "unk": 1}}

:func:`load_codec` reads it back. The class is looked up, never imported from an arbitrary place:
a class of pyrovae's own (``module`` under ``pyrovae.``), or one defined in the run's model file
(``module`` is :data:`MODEL_FILE_MODULE`), which the caller passes in ``namespace``. The special ids
and the vocabulary size are checked after loading, so a damaged or swapped codec folder is caught
before it silently changes what a model reads.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path

from pyrovae.atomic import atomic_write_json
from pyrovae.errors import CheckpointError
from pyrovae.text.codec import TextCodec
from pyrovae.user_file import USER_MODULE_PREFIX

MANIFEST = "codec.json"
FORMAT = "pyrovae.codec"
VERSION = 1

#: ``module`` of a codec class that the run's model file defines.
MODEL_FILE_MODULE = "<model file>"


def _facts(codec: TextCodec) -> dict:
    return {
        "token_unit": codec.token_unit,
        "vocab_size": codec.vocab_size,
        "special_ids": {"pad": codec.pad_id, "bos": codec.bos_id, "eos": codec.eos_id, "unk": codec.unk_id},
    }


def save_codec(codec: TextCodec, folder: Path) -> None:
    """Write ``codec`` into ``folder`` (created): its files and :data:`MANIFEST`.

    Raises:
        CheckpointError: the codec's class is neither pyrovae's nor defined in a model file, so a
            later command could not find it.
    """
    cls = type(codec)
    module = cls.__module__
    if module.startswith(USER_MODULE_PREFIX):
        module = MODEL_FILE_MODULE
    elif not (module == "pyrovae" or module.startswith("pyrovae.")):
        raise CheckpointError(
            f"the codec class {cls.__qualname__} is defined in module {module!r}; a run can reload only "
            "pyrovae's codecs and codecs defined in the model file itself: define the class in the model file"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    codec.save_pretrained(folder)
    atomic_write_json(
        folder / MANIFEST, {"format": FORMAT, "version": VERSION, "class": cls.__qualname__, "module": module, **_facts(codec)}
    )


def load_codec(folder: Path, namespace: Mapping[str, type] | None = None) -> TextCodec:
    """The codec :func:`save_codec` wrote into ``folder``.

    Args:
        folder: the codec folder of a run.
        namespace: the classes the run's model file defines (by name), for codecs defined there.

    Raises:
        CheckpointError: no or a damaged manifest, a class that cannot be found, or a codec whose
            special ids or size differ from those recorded at fit time.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{folder} holds no codec ({MANIFEST} is missing): the run directory is incomplete") from None
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{path} is damaged ({error}): restore the run directory") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise CheckpointError(f"{path} is not a pyrovae codec manifest of version {VERSION}: restore the run directory")
    cls = _codec_class(manifest, namespace or {}, path)
    codec = cls.from_pretrained(folder, namespace=namespace)
    recorded = {key: manifest.get(key) for key in ("token_unit", "vocab_size", "special_ids")}
    if _facts(codec) != recorded:
        raise CheckpointError(
            f"the codec in {folder} differs from the one recorded at fit time ({recorded} recorded, "
            f"{_facts(codec)} loaded): the codec files were changed; restore the run directory"
        )
    return codec


def _codec_class(manifest: dict, namespace: Mapping[str, type], path: Path) -> type[TextCodec]:
    name, module = manifest.get("class"), manifest.get("module")
    if module == MODEL_FILE_MODULE:
        cls = namespace.get(name)
        where = "the run's model file"
    elif isinstance(module, str) and (module == "pyrovae" or module.startswith("pyrovae.")):
        try:
            cls = getattr(importlib.import_module(module), str(name), None)
        except ImportError:
            cls = None
        where = f"module {module}"
    else:
        raise CheckpointError(f"{path} names a codec of module {module!r}: only pyrovae's codecs and the model file's load")
    if not (isinstance(cls, type) and issubclass(cls, TextCodec)):
        raise CheckpointError(f"{path} names codec class {name!r}, which {where} does not define: restore the run directory")
    return cls
