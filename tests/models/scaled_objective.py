"""An objective file: ``--set objective=tests/models/scaled_objective.py objective.weight=0.25``."""

from pyrovae.infer import Objective


class ScaledRate(Objective):
    def __init__(self, weight: float = 1.0, **options) -> None:
        super().__init__(**options)
        self.weight = float(weight)

    def loss_from_terms(self, terms):
        return terms.distortion + self.weight * terms.rate

    def state_summary(self):
        return {"weight": self.weight}


def objective(weight: float = 1.0) -> ScaledRate:
    return ScaledRate(weight)
