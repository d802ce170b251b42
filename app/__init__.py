"""posekit demo app (Kivy): live pose, reps, falls. Run with ``python -m app``."""
