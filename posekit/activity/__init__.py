"""Activity analysis (exercise, reps, form, falls)."""
