r"""Latent samples of a trained run, stored as safetensors with JSON metadata.

A run's **aggregate-posterior samples** are codes :math:`z_n \sim q(z \mid x_n)` for the sentences
:math:`x_n` of one split (ancestral sampling from :math:`q(z) = \frac1N \sum_n q(z|x_n)`), with
what the analysis needs besides them, so that it never has to load the model:

* ``log_prior`` ``[N]``: :math:`\log p(z_n)` under the run's prior (nats);
* ``log_prior_dims`` ``[N, D]`` (when the prior factorises over dimensions): the per-dimension
  :math:`\log p_d(z_{n,d})`, for per-dimension marginal KLs;
* ``rate`` ``[N]``: the rate :math:`\mathrm{KL}(q(z|x_n)\,\|\,p(z))` of the sentence that gave the
  code (nats per sentence), for the index-code mutual information;
* ``sentence`` ``[N]``: the sentence's position in the data file.

A file may also hold draws from the run's prior (the same fields but ``rate``), the reference group
of an analysis. Layout of the file (``safetensors``; tensors only, never pickles)::

    aggregate.z  aggregate.log_prior  [aggregate.log_prior_dims]  [aggregate.rate]  [aggregate.sentence]
    prior.z      prior.log_prior      [prior.log_prior_dims]
    metadata "pyrovae": JSON {"format": "pyrovae-latents", "version": 1, "run": ..., "split": ...,
                              "data": ..., "checkpoint": ..., "per_point": ..., "seed": ...,
                              "prior": ..., "latent_dim": ..., ...}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from pyrovae.errors import DataError

FORMAT = "pyrovae-latents"
VERSION = 1
METADATA_KEY = "pyrovae"
AGGREGATE, PRIOR = "aggregate", "prior"


@dataclass
class LatentSamples:
    """Codes with their prior log densities and (for encoder codes) their sentences' rates.

    Attributes:
        z: ``[N, D]`` codes.
        log_prior: ``[N]`` :math:`\\log p(z_n)`, nats.
        log_prior_dims: ``[N, D]`` per-dimension :math:`\\log p_d(z_{n,d})`, or None when the
            prior does not factorise.
        rate: ``[N]`` nats per sentence, or None (prior draws).
        sentence: ``[N]`` the data-file position of each code's sentence, or None.

    Raises:
        DataError: empty, non-finite or inconsistently shaped tensors.
    """

    z: torch.Tensor
    log_prior: torch.Tensor
    log_prior_dims: torch.Tensor | None = None
    rate: torch.Tensor | None = None
    sentence: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.z.dim() != 2 or self.z.shape[0] == 0 or self.z.shape[1] == 0:
            raise DataError(f"latent samples must be a non-empty [N, D] tensor, got shape {tuple(self.z.shape)}")
        n, d = self.z.shape
        expected = {"log_prior": (n,), "log_prior_dims": (n, d), "rate": (n,), "sentence": (n,)}
        for name, shape in expected.items():
            value = getattr(self, name)
            if value is not None and tuple(value.shape) != shape:
                raise DataError(f"{name} must have shape {list(shape)} to match z {list(self.z.shape)}, got {list(value.shape)}")
        for name in ("z", "log_prior", "log_prior_dims", "rate"):
            value = getattr(self, name)
            if value is not None and not torch.isfinite(value).all():
                raise DataError(f"{name} contains NaN or infinite values")

    @property
    def num_samples(self) -> int:
        return self.z.shape[0]

    @property
    def latent_dim(self) -> int:
        return self.z.shape[1]

    def subset(self, index: torch.Tensor) -> "LatentSamples":
        """The samples at ``index`` (positions or a boolean mask)."""
        return LatentSamples(**{f.name: None if getattr(self, f.name) is None else getattr(self, f.name)[index] for f in fields(self)})

    def tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        """``{prefix.field: tensor}`` of the fields that are set: contiguous copies, as safetensors
        refuses tensors that share memory (e.g. the same codes stored twice)."""
        return {f"{prefix}.{f.name}": getattr(self, f.name).detach().clone().contiguous() for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], prefix: str, source: str) -> "LatentSamples":
        values = {f.name: tensors.get(f"{prefix}.{f.name}") for f in fields(cls)}
        missing = [name for name in ("z", "log_prior") if values[name] is None]
        if missing:
            raise DataError(f"{source} has no {', '.join(f'{prefix}.{m}' for m in missing)}: it is not a pyrovae latents file")
        try:
            return cls(**values)
        except DataError as error:
            raise DataError(f"{source}: {error}") from None


@dataclass
class RunLatents:
    """The contents of one latents file: aggregate-posterior samples, optional prior draws, metadata.

    Attributes:
        aggregate: codes from the encoder.
        prior: draws from the run's prior, or None.
        metadata: JSON-serialisable description (run, split, data file, checkpoint, seed, ...).
    """

    aggregate: LatentSamples
    prior: LatentSamples | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.prior is not None and self.prior.latent_dim != self.aggregate.latent_dim:
            raise DataError(
                f"prior draws have {self.prior.latent_dim} dimensions but the codes have {self.aggregate.latent_dim}"
            )

    @property
    def name(self) -> str:
        """A short name: the metadata's ``name``, else the run directory's name."""
        return str(self.metadata.get("name") or Path(str(self.metadata.get("run", "run"))).name)

    def save(self, path: str | Path) -> Path:
        """Write the file (atomically: a temporary file renamed into place)."""
        from safetensors.torch import save_file

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = self.aggregate.tensors(AGGREGATE)
        if self.prior is not None:
            tensors |= self.prior.tensors(PRIOR)
        metadata = {"format": FORMAT, "version": VERSION, **self.metadata, "latent_dim": self.aggregate.latent_dim}
        tmp = path.with_name(path.name + ".tmp")
        save_file(tensors, str(tmp), metadata={METADATA_KEY: json.dumps(metadata)})
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "RunLatents":
        """Read a file written by :meth:`save`.

        Raises:
            DataError: the file is missing, not safetensors, not a pyrovae latents file, of a newer
                version, or holds empty or malformed tensors.
        """
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        if not path.is_file():
            raise DataError(f"latents file {path} does not exist: write one with `pyrovae latents RUN_DIR --out {path}`")
        try:
            with safe_open(str(path), framework="pt") as handle:
                header = handle.metadata() or {}
                tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        except (SafetensorError, OSError, ValueError) as error:
            raise DataError(f"{path} is not a readable safetensors file ({error})") from None
        try:
            metadata = json.loads(header[METADATA_KEY])
        except (KeyError, json.JSONDecodeError):
            raise DataError(f"{path} has no pyrovae metadata: it was not written by `pyrovae latents`") from None
        if metadata.get("format") != FORMAT:
            raise DataError(f"{path} is not a pyrovae latents file (format {metadata.get('format')!r})")
        if int(metadata.get("version", 0)) > VERSION:
            raise DataError(f"{path} has latents format version {metadata['version']}; this pyrovae reads up to {VERSION}: upgrade pyrovae")
        aggregate = LatentSamples.from_tensors(tensors, AGGREGATE, str(path))
        prior = LatentSamples.from_tensors(tensors, PRIOR, str(path)) if f"{PRIOR}.z" in tensors else None
        return cls(aggregate, prior, metadata)
