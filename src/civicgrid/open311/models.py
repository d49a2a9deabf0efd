"""Open311 models."""
