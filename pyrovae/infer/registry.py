"""The objectives the command line knows by name (``--set objective=NAME``)."""

from pyrovae.infer.objective import Objective
from pyrovae.registry import Registry

OBJECTIVES: Registry[Objective] = Registry("objective")
