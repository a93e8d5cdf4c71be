"""PSIS-LOO comparison of "the group's distribution equals the prior samples'" with "it differs"."""

from __future__ import annotations

import pytest

from pyrovae.analysis.hypotheses import DIFFERS, EQUAL

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out


def test_loo_prefers_the_true_hypothesis(analysis_8d):
    same = analysis_8d.summaries["same"].comparison
    shifted = analysis_8d.summaries["shifted"].comparison
    # N(0, I) codes: tying their weights to the prior group's costs nothing the data can see
    assert same.preferred == EQUAL
    assert same.elpd_difference < same.threshold * same.standard_error
    # N(mu, I) codes with KL 1 nat: the tied model loses about N x 1 nat of predictive density
    assert shifted.preferred == DIFFERS and shifted.ranked_first == DIFFERS
    assert shifted.elpd_difference > 10 * shifted.standard_error
    assert set(shifted.table.index) == {DIFFERS, EQUAL}
    assert shifted.to_dict()["table"][DIFFERS]["rank"] == 0


def test_overlap_and_shared_component_follow_the_truth(analysis_8d):
    summaries = analysis_8d.summaries
    assert summaries["prior"].overlap.mean > 0.999
    assert summaries["same"].overlap.lower > 0.7 and summaries["same"].shares_prior == "yes"
    assert summaries["shifted"].overlap.upper < 0.3 and summaries["shifted"].shares_prior == "no"
