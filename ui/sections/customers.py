"""The Customers section (placeholder until its engineer lands it)."""

from __future__ import annotations

from ui.section import Section


class CustomersSection(Section):
    """Customers."""

    title = "Customers"
