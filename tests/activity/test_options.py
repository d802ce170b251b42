"""Options of the activity engine: every field validated, typed errors naming it."""

import re

import pytest

import posekit
from posekit.activity import FallOptions, analyze_keypoints
from posekit.activity.classifier import ClassifierOptions
from posekit.errors import InvalidInputError
from training.synth.dataset import make_sequence


@pytest.mark.parametrize("kw,msg", [
    ({"min_snr": -1}, "RepOptions.min_snr must be a number >= 0, got -1"),
    ({"smooth_s": float("nan")}, "RepOptions.smooth_s must be in [0, 5], got nan"),
    ({"min_range": "0.5"}, "RepOptions.min_range must be a number >= 0, got '0.5'"),
    ({"hysteresis": 0.5}, "RepOptions.hysteresis must be in (0, 0.5), got 0.5"),
    ({"partial_ratio": 1.5}, "RepOptions.partial_ratio must be in [0, 1], got 1.5"),
    ({"min_cycle_s": 9.0}, "RepOptions.min_cycle_s (9.0) must be below max_cycle_s (8.0)"),
])
def test_bad_rep_options(kw, msg):
    with pytest.raises(InvalidInputError) as e:
        posekit.RepOptions(**kw)
    assert str(e.value) == msg


def test_bad_exercise_and_form_options():
    from posekit.activity import ActivityTracker
    from posekit.activity.options import FormOptions

    kps = make_sequence("squat", 5, seconds=4.0)[1]["noisy"]
    msg = r"exercise must be one of \['squat', .*'rope_pushdown'\] or None \(classified\), got 'burpee'"
    with pytest.raises(InvalidInputError, match=msg):
        analyze_keypoints(kps, 30.0, exercise="burpee")
    with pytest.raises(InvalidInputError, match=r"exercise must be one of .* or None \(classified\), got 'yoga'"):
        ActivityTracker(exercise="yoga")
    with pytest.raises(InvalidInputError, match=r"FormOptions.squat_depth must be a number > 0, got -1"):
        FormOptions(squat_depth=-1)
    with pytest.raises(InvalidInputError, match=r"FormOptions.lunge_depth must be a number > 0, got nan"):
        FormOptions(lunge_depth=float("nan"))


def test_bad_fall_sensitivity():
    with pytest.raises(InvalidInputError, match=r"FallOptions.sensitivity must be in \[0, 1\], got 2"):
        FallOptions(sensitivity=2)
    for bad in (-0.1, 1.5, "0.8", True, None):
        msg = rf"FallOptions.overrule_confidence must be in \[0, 1\], got {re.escape(repr(bad))}"
        with pytest.raises(InvalidInputError, match=msg):
            FallOptions(overrule_confidence=bad)


@pytest.mark.parametrize("field,value", [("ema", 0.0), ("switch_margin", -0.1), ("min_confidence", 2)])
def test_classifier_options_are_validated(field, value):
    with pytest.raises(InvalidInputError, match=rf"ClassifierOptions\.{field} must be in .*got {value!r}"):
        ClassifierOptions(**{field: value})
