"""Priors ``p(z)``: small modules that return a distribution, for all sentences or for a batch.

A new prior is a subclass of :class:`Prior` with a ``forward()`` returning any Pyro distribution
with ``event_shape == (latent_dim,)``; buffers and parameters it registers follow the model to its
device and into checkpoints. Every objective and metric works with it: the rate is an analytic KL
where Pyro has one registered for (posterior, prior), Monte Carlo otherwise.

:class:`~pyrovae.vae.TextVAE` asks its prior for the distribution of a batch's sentences,
:meth:`Prior.for_batch`; a prior shared by all sentences returns ``forward()`` there (the data
plate broadcasts it). A prior that depends on the sentence (the length-conditioned
Dirichlet-process prior of NVIB) subclasses :class:`SentencePrior` and implements ``for_batch``
alone; estimators that need one ``p(z)`` for every sentence (the aggregate-posterior diagnostics)
refuse such a prior with a message.

This module holds the base classes, the registry :data:`PRIORS` and the two diagonal-Gaussian
priors; the mixture priors are in :mod:`pyrovae.latent.mixture` and :mod:`pyrovae.latent.vamp`.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Callable

import pyro.distributions as dist
import torch
from torch import nn

from pyrovae.errors import UnsupportedModelError
from pyrovae.registry import Registry
from pyrovae.text.batch import TokenBatch


class Prior(nn.Module, metaclass=ABCMeta):
    """Base class of priors over a ``latent_dim``-dimensional code.

    Constructors take ``(latent_dim, **options)``; the keyword options are what
    ``--set prior.KEY=VALUE`` sets for a registered prior.
    """

    #: constructor arguments fixed by the model (not options of ``--set prior.KEY=...``).
    fixed_options = ("latent_dim",)

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim

    @abstractmethod
    def forward(self) -> dist.Distribution:
        """The prior shared by all sentences, ``event_shape == (latent_dim,)``."""

    def for_batch(self, batch: TokenBatch) -> dist.Distribution:
        """The prior of the sentences of ``batch`` (what the model samples ``z`` from): ``forward()``."""
        return self()

    def bind(self, encoder: nn.Module, posterior: nn.Module) -> None:
        """Called by :class:`~pyrovae.vae.TextVAE` with its inference network; a no-op here.

        A prior defined through the inference network (the VampPrior) keeps references to them
        without making them its submodules: they belong to the VAE, and a second registration
        would store their weights twice.
        """


class SentencePrior(Prior):
    """A prior that depends on the sentence, e.g. on its length: implement :meth:`for_batch` only.

    ``for_batch(batch)`` returns a distribution with batch shape ``[B]``. There is no single
    ``p(z)`` to return from ``forward()``, which raises :class:`~pyrovae.errors.UnsupportedModelError`
    with the reason, so estimators built on one prior for all sentences refuse clearly.
    """

    def forward(self) -> dist.Distribution:
        raise UnsupportedModelError(
            f"the prior {type(self).__name__} depends on the sentence (its for_batch(batch)); there is no "
            "single p(z) shared by all sentences, which this computation needs"
        )

    @abstractmethod
    def for_batch(self, batch: TokenBatch) -> dist.Distribution:
        """The prior of each sentence of ``batch``, batch shape ``[B]``."""


#: The priors the command line knows by name (``--set prior=mog prior.components=10``): a class
#: registers itself where it is defined and takes ``(latent_dim, **options)``.
PRIORS: Registry[Prior] = Registry("prior")

#: ``(latent_dim) -> Prior``, e.g. ``StandardNormal`` or ``partial(MixtureOfGaussians, components=10)``:
#: what a model file's ``build`` receives, to make the prior once the dimension is known.
PriorFactory = Callable[[int], Prior]


@PRIORS.register("standard_normal")
class StandardNormal(Prior):
    """``p(z) = N(0, I)``."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__(latent_dim)
        self.register_buffer("loc", torch.zeros(latent_dim), persistent=False)
        self.register_buffer("scale", torch.ones(latent_dim), persistent=False)

    def forward(self) -> dist.Distribution:
        return dist.Normal(self.loc, self.scale).to_event(1)


@PRIORS.register("normal")
class LearnableNormal(Prior):
    r"""``p(z) = N(mu, diag(sigma^2))`` with learned :math:`\mu` and :math:`\log \sigma`.

    Initialised at :math:`N(0, I)`. The KL from a diagonal-Gaussian posterior stays analytic and
    per dimension. With a decoder whose first layer is affine in ``z`` (pyrovae's recurrent
    decoders) it does not enlarge the model family, since that layer can absorb an affine map
    of ``z``; it changes the parametrisation the optimiser sees.
    """

    def __init__(self, latent_dim: int) -> None:
        super().__init__(latent_dim)
        self.loc = nn.Parameter(torch.zeros(latent_dim))
        self.log_scale = nn.Parameter(torch.zeros(latent_dim))

    def forward(self) -> dist.Distribution:
        return dist.Normal(self.loc, self.log_scale.exp()).to_event(1)
