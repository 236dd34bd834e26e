"""Dialogs: forms and prompts, one module each."""
