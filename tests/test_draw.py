"""The HUD burned into annotated videos: legible at any resolution, its outline behind the text."""

import cv2
import numpy as np
import pytest

from posekit.draw import put_text, text_scale


@pytest.mark.parametrize("height", [240, 720, 2160])
def test_hud_text_scales_with_the_frame_and_its_outline_hugs_it(height):
    img = np.full((height, height * 16 // 9, 3), 128, np.uint8)
    scale = text_scale(img)
    put_text(img, "Push-up  reps 12", (20, height // 2))
    ys, xs = np.nonzero((img != 128).any(-1))
    (w, h), _ = cv2.getTextSize("Push-up  reps 12", cv2.FONT_HERSHEY_SIMPLEX, scale, max(1, round(scale * 1.5)))
    # Text about 3% of the frame's height tall, whatever the resolution (was a fixed 14 px).
    assert 0.025 * height <= h <= 0.05 * height
    # The outline adds a few pixels around the text, not a shifted second copy beside it.
    assert xs.max() - xs.min() <= w + 2 * (round(scale) + 2)
    assert (img[ys, xs] == 0).any() and (img[ys, xs] == 255).any()
