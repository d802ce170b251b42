"""posekit export (installed as ``posekit_export``; run from the checkout as ``python -m export.…``)."""
