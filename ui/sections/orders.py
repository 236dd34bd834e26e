"""The Orders section (placeholder until its engineer lands it)."""

from __future__ import annotations

from ui.section import Section


class OrdersSection(Section):
    """Orders."""

    title = "Orders"
