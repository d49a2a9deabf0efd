"""Triage intelligence: classification, urgency, duplicates, hot issues, reply quality."""
