"""Backorder Desk engine: store, controller, command line. Never imports Qt."""

__version__ = "0.1.0"
