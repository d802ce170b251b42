"""The teacher's layers rebuilt in Keras from its .tflite (training.teacher_net): the same numbers as
the real interpreter, thinning that keeps what the layers carry, and clear errors."""

import numpy as np
import pytest

from posekit.errors import InvalidInputError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crops(shared_data, teacher_path):
    """Tracking-ROI crops of held-back LSPET images at 256 and 128 pixels, in [0, 1]."""
    from posekit.pose.roi import crop, roi_from_box
    from training.eval_pose import holdout

    data = holdout(64)
    return {s: np.stack([crop(img, roi_from_box(box), s) for _, img, _, box in data]).astype(np.float32)
            for s in (256, 128)}


def test_rebuild_gives_the_teacher_interpreters_heatmaps(crops, teacher_path):
    from ai_edge_litert.interpreter import Interpreter

    from training.teacher_net import ENCODER, HEATMAP, build

    x = crops[256][:2]
    assert x.max() <= 1.0 and x.max() > 0.5
    net = build(teacher_path, 256, [HEATMAP, ENCODER])
    heat, enc = (np.asarray(o) for o in net(x))
    it = Interpreter(str(teacher_path))
    it.allocate_tensors()
    out = {tuple(d["shape"]): d["index"] for d in it.get_output_details()}
    for i in range(len(x)):
        it.set_tensor(it.get_input_details()[0]["index"], x[i:i + 1])
        it.invoke()
        ref = it.get_tensor(out[(1, 64, 64, 39)])
        assert np.abs(heat[i:i + 1] - ref).max() < 1e-3 * np.abs(ref).max()
    assert enc.shape == (2, 8, 8, 864)
    # The segmentation decoder (full resolution) and the regression head (its max pools) are left out.
    import keras

    assert not any(isinstance(layer, keras.layers.MaxPooling2D) for layer in net.layers)
    assert [layer.output.shape[1] for layer in net.layers[1:] if layer.output.shape[1] > 130] == [258]  # input padding


def test_activation_aware_thinning_keeps_the_heatmaps_where_magnitude_thinning_loses_them(crops, teacher_path):
    """Half of the 864-channel expansions removed: chosen by the variance they carry on sample crops
    (and their mean moved into the next bias), the heatmaps' peaks mostly stay put; chosen by
    weight norms alone, most move (0.55 and 0.18 within one cell at 256 pixels, 110 held-back crops,
    statistics from 256 training crops; ad hoc)."""
    from training.teacher_net import ENCODER, HEATMAP, build

    x = crops[128]
    calib, test = x[:40], x[40:]
    full = np.asarray(build(teacher_path, 128, [HEATMAP])(test))[..., :33]

    def within_one_cell(kw, samples):
        heat, enc = build(teacher_path, 128, [HEATMAP, ENCODER], keep_wide=kw, samples=samples)(test)
        assert enc.shape[-1] == 432
        h = full.shape[1]
        a = full.reshape(len(test), -1, 33).argmax(1)
        b = np.asarray(heat)[..., :33].reshape(len(test), -1, 33).argmax(1)
        return (np.hypot(a // h - b // h, a % h - b % h) <= 1).mean()

    aware, magnitude = within_one_cell(0.5, calib), within_one_cell(0.5, None)
    assert aware > 0.5 and aware > magnitude + 0.15, (aware, magnitude)


@pytest.mark.parametrize("kwargs, message", [
    (dict(input_size=100), r"input_size must be a multiple of 32, at least 64, got 100"),
    (dict(input_size=128, keep_wide=0.0), r"keep_wide must be a fraction in \(0, 1\], got 0.0"),
    (dict(input_size=128, outputs=["Identity_9"]), r"tensor 'Identity_9' is not in the teacher graph"),
])
def test_rebuild_rejects_bad_arguments(teacher_path, kwargs, message):
    from training.teacher_net import HEATMAP, build

    kwargs = {"outputs": [HEATMAP], **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        build(teacher_path, **kwargs)
