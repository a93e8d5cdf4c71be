r"""``GroupedSamples``: named groups of codes, concatenated for the mixed-membership model.

Each group is a :class:`~pyrovae.analysis.samples.LatentSamples` (codes, :math:`\log p(z)`,
optionally rates); one group may be marked as the **reference** (samples from the prior), against
which the other groups are compared. Groups must agree on the dimension ``D``; they may differ in
size.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import torch

from pyrovae.analysis.samples import LatentSamples, RunLatents
from pyrovae.errors import ConfigError, DataError

#: The name of the reference group built from prior draws.
PRIOR_GROUP = "prior"


@dataclass
class GroupedSamples:
    """Named groups of codes.

    Attributes:
        groups: ``{name: samples}`` in group-index order.
        reference: the name of the reference (prior) group, or None.
    """

    groups: dict[str, LatentSamples]
    reference: str | None = None

    def __post_init__(self) -> None:
        if not self.groups:
            raise DataError("no groups of samples were given: pass at least one run or latents file")
        dims = {name: samples.latent_dim for name, samples in self.groups.items()}
        if len(set(dims.values())) > 1:
            listing = ", ".join(f"{name}: {dim}" for name, dim in dims.items())
            raise DataError(f"the groups have different latent dimensions ({listing}); analyse runs with the same latent_dim together")
        if self.reference is not None and self.reference not in self.groups:
            raise ConfigError(f"the reference group {self.reference!r} is not among the groups {list(self.groups)}")

    @classmethod
    def from_mapping(cls, groups: Mapping[str, LatentSamples], reference: str | None = None) -> "GroupedSamples":
        return cls(dict(groups), reference)

    @classmethod
    def from_run_latents(
        cls,
        sources: Sequence[RunLatents],
        num_samples: int = 0,
        prior_samples: int | None = None,
        seed: int = 0,
    ) -> "GroupedSamples":
        """One group per run (named after it, made unique), plus the first run's prior draws as
        the reference group ``"prior"``.

        Args:
            sources: the runs' latents.
            num_samples: codes per run, a random subset (0: all).
            prior_samples: size of the prior group; None: ``num_samples`` (or the first run's
                number of codes), or all stored prior draws if fewer; 0: no reference group.
            seed: seeds the subsets.

        Raises:
            DataError: no sources, different latent dimensions, or too few stored prior draws.

        Warns:
            UserWarning: when the runs' priors differ (the reference is the first run's).
        """
        if not sources:
            raise DataError("no runs were given: pass at least one run directory or latents file")
        generator = torch.Generator().manual_seed(seed)
        groups: dict[str, LatentSamples] = {}
        for latents in sources:
            name, suffix = latents.name, 2
            while name in groups or name == PRIOR_GROUP:
                name, suffix = f"{latents.name}-{suffix}", suffix + 1
            codes = latents.aggregate
            if num_samples and codes.num_samples > num_samples:
                codes = codes.subset(torch.randperm(codes.num_samples, generator=generator)[:num_samples].sort().values)
            groups[name] = codes
        cls(groups)  # the codes' own checks (one latent dimension) come first
        first = sources[0]
        stored = 0 if first.prior is None else first.prior.num_samples
        if prior_samples is None:
            prior_samples = min(stored, num_samples or first.aggregate.num_samples) or None
        if prior_samples == 0:
            return cls(groups)
        if prior_samples is None or stored < prior_samples:
            wanted = prior_samples or num_samples or first.aggregate.num_samples
            raise DataError(
                f"the first source ({first.name}) holds {stored} prior draws, fewer than the {wanted} "
                f"needed for the prior group: rewrite it with `pyrovae latents ... --prior-samples {wanted}`, "
                f"or pass --prior-samples {stored} (0: no prior group)"
            )
        priors = {str(latents.metadata.get("prior")) for latents in sources}
        if len(priors) > 1:
            warnings.warn(f"the runs have different priors ({', '.join(sorted(priors))}); the prior group is {first.name}'s", stacklevel=2)
        groups[PRIOR_GROUP] = first.prior.subset(torch.arange(prior_samples))
        return cls(groups, reference=PRIOR_GROUP)

    @property
    def names(self) -> list[str]:
        return list(self.groups)

    @property
    def num_groups(self) -> int:
        return len(self.groups)

    @property
    def latent_dim(self) -> int:
        return next(iter(self.groups.values())).latent_dim

    @property
    def reference_index(self) -> int | None:
        return None if self.reference is None else self.names.index(self.reference)

    def index(self, name: str) -> int:
        if name not in self.groups:
            raise ConfigError(f"no group {name!r}; the groups are {self.names}")
        return self.names.index(name)

    @property
    def z(self) -> torch.Tensor:
        """``[N, D]``: all codes, group after group."""
        return torch.cat([samples.z for samples in self.groups.values()]).float()

    @property
    def group(self) -> torch.Tensor:
        """``[N]``: each code's group index."""
        return torch.cat(
            [torch.full((samples.num_samples,), g, dtype=torch.long) for g, samples in enumerate(self.groups.values())]
        )

    def sizes(self) -> dict[str, int]:
        return {name: samples.num_samples for name, samples in self.groups.items()}
