"""Pose estimation: ROI geometry, smoothing, the landmark network and the tracker."""
