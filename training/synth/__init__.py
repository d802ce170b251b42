"""Synthetic motion: an articulated 3D body performing exercises, daily activities and falls.

* :mod:`.body`    kinematic body with sampled proportions -> 33 BlazePose keypoints in 3D
* :mod:`.motions` motion library (per-frame joint angles + labels, rep boundaries, form faults)
* :mod:`.camera`  random viewpoints, projection, visibility, pose-model-like noise
* :mod:`.render`  shaded capsule/ellipsoid renderer with exact 2D keypoints
* :mod:`.dataset` CLI writing N sequences per class as .npz (+ MP4s, montage)
"""
