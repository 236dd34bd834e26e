"""Backorder Desk windows (PySide6): presentation only; every rule is in ``app``."""
