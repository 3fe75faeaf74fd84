"""Metrics: the one place predictions meet the ground truth."""
