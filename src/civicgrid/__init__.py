"""civicgrid: grid-based community governance and citizen requests."""

__version__ = "0.1.0"
