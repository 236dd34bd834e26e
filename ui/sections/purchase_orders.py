"""The Purchase orders section (placeholder until its engineer lands it)."""

from __future__ import annotations

from ui.section import Section


class PurchaseOrdersSection(Section):
    """Purchase orders."""

    title = "Purchase orders"
