import numpy as np
import pytest

from posekit.errors import InvalidInputError
from posekit.options import SmoothingOptions
from posekit.pose.smoothing import LandmarkSmoother, OneEuroFilter

FPS = 30.0


def run_filter(f, values, scale=1.0):
    return np.array([f(np.array([v]), i / FPS, scale)[0] for i, v in enumerate(values)])


def test_constant_input_passes_through():
    f = OneEuroFilter(0.05, 80.0, 1.0)
    out = run_filter(f, [5.0] * 20)
    assert np.allclose(out, 5.0)


def test_step_response_is_fast_with_beta_and_slow_without():
    step = [0.0] * 10 + [1.0] * 20
    adaptive = run_filter(OneEuroFilter(0.05, 80.0, 1.0), step)
    fixed = run_filter(OneEuroFilter(0.05, 0.0, 1.0), step)
    # With beta the big jump raises the cutoff: most of the step is followed within a few frames.
    assert adaptive[12] > 0.5
    # Without beta, a 0.05 Hz cutoff at 30 fps barely moves.
    assert fixed[12] < 0.05
    assert np.all(np.diff(adaptive) >= -1e-12)  # monotone, no overshoot
    assert adaptive.max() <= 1.0 + 1e-9


def test_ramp_lag_is_small_with_beta():
    ramp = np.arange(60) * 0.1
    out = run_filter(OneEuroFilter(0.05, 80.0, 1.0), ramp)
    lag_beta = ramp[-1] - out[-1]
    out0 = run_filter(OneEuroFilter(0.05, 0.0, 1.0), ramp)
    lag_none = ramp[-1] - out0[-1]
    assert 0 <= lag_beta < 0.1 * lag_none
    assert lag_beta < 0.2  # under two frames of motion


def test_jitter_is_reduced_when_still(rng):
    noisy = 100.0 + rng.normal(0, 0.5, 200)
    # Jitter of 0.5% of the object size: MediaPipe's defaults remove a good part of it and a
    # smaller beta (less speed adaptation) removes more.
    out = run_filter(OneEuroFilter(0.05, 80.0, 1.0), noisy, scale=1 / 100.0)
    calmer = run_filter(OneEuroFilter(0.05, 10.0, 1.0), noisy, scale=1 / 100.0)
    assert out[50:].std() < 0.7 * noisy[50:].std()
    assert calmer[50:].std() < 0.5 * out[50:].std()


def test_value_scale_makes_filter_size_invariant():
    # The same motion measured in object sizes behaves the same for a near and a far person.
    ramp = np.arange(30) * 2.0
    near = run_filter(OneEuroFilter(0.05, 80.0, 1.0), ramp, scale=1 / 200.0)
    far = run_filter(OneEuroFilter(0.05, 80.0, 1.0), ramp / 4, scale=1 / 50.0)
    assert np.allclose(near / 4, far, rtol=1e-6, atol=1e-9)


def test_non_increasing_timestamp_returns_raw_value():
    f = OneEuroFilter(0.05, 80.0, 1.0)
    f(np.array([0.0]), 1.0)
    assert f(np.array([3.0]), 1.0)[0] == 3.0


def test_landmark_smoother_disabled_is_identity(rng):
    s = LandmarkSmoother(SmoothingOptions(enabled=False))
    xy = rng.random((33, 2)).astype(np.float32) * 100
    conf = rng.random(33).astype(np.float32)
    out, c = s(xy, conf, 0)
    assert out is xy and c is conf


def test_landmark_smoother_visibility_low_pass():
    s = LandmarkSmoother(SmoothingOptions(visibility_alpha=0.1))
    xy = np.tile(np.array([[0.0, 0.0], [100.0, 200.0]]), (17, 1))[:33].astype(np.float32)
    s(xy, np.zeros(33, np.float32), 0)
    _, c = s(xy, np.ones(33, np.float32), 33)
    assert np.allclose(c, 0.1)
    s.reset()
    _, c = s(xy, np.ones(33, np.float32), 0)
    assert np.allclose(c, 1.0)


@pytest.mark.parametrize("field,value,msg", [
    ("min_cutoff", 0.0, "SmoothingOptions.min_cutoff must be a number > 0.0, got 0.0"),
    ("beta", -1.0, "SmoothingOptions.beta must be a number >= 0.0, got -1.0"),
    ("derivate_cutoff", float("nan"), "SmoothingOptions.derivate_cutoff must be a number > 0.0, got nan"),
    ("visibility_alpha", 1.5, "SmoothingOptions.visibility_alpha must be a number > 0.0 and <= 1.0, got 1.5"),
    ("enabled", "yes", "SmoothingOptions.enabled must be a bool, got 'yes'"),
])
def test_bad_smoothing_options(field, value, msg):
    with pytest.raises(InvalidInputError) as e:
        SmoothingOptions(**{field: value})
    assert str(e.value) == msg
