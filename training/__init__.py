"""posekit training code (installed as ``posekit_train``; run from the checkout as ``python -m training.…``)."""
