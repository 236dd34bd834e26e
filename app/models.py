"""The store's tables as Peewee models, bound late to ``database``.

Conventions that hold for every table:

* Quantities are whole units. Money is integer cents.
* Timestamps are naive ``datetime`` values in UTC (``app.clock.utcnow``); the windows
  convert them to local time for display.
* ``Product.on_hand``, ``Product.reserved`` and ``Product.waiting`` are running totals kept
  in the same transaction as the rows they summarise (movements, line reservations, line
  shortfalls), so stock figures cost one row read. ``check`` recomputes each of them from
  its source of truth and reports any difference.
"""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

#: Every model is bound to this proxy; ``app.store.open_store`` points it at a database.
database = DatabaseProxy()

#: Zero written into a statement's text rather than passed as a parameter, for conditions
#: such as ``qty_waiting > 0`` that let SQLite use a partial index. SQLite plans such a
#: statement for the parameter's value and prepares it anew every time that parameter is
#: bound, which costs several times more than running it; a literal keeps a hot, cached
#: statement prepared.
ZERO = SQL("0")


class BaseModel(Model):
    """Common base: binds to the late-initialised ``database`` proxy."""

    class Meta:
        database = database
        legacy_table_names = False


class Setting(BaseModel):
    """A key/value pair: schema version, store name, SMTP host and so on."""

    key = CharField(primary_key=True, max_length=100)
    value = TextField()


class Staff(BaseModel):
    """A person who works the desk; every change in the audit log names one."""

    id = AutoField()
    name = CharField(max_length=100, unique=True)
    role = CharField(max_length=20, default="manager")  # clerk | warehouse | manager
    password_hash = TextField(null=True)
    active = BooleanField(default=True)


class Supplier(BaseModel):
    """Who purchase orders go to; ``lead_time_days`` gives an estimate when no PO covers."""

    id = AutoField()
    name = CharField(max_length=200, unique=True)
    email = CharField(max_length=254, null=True)
    lead_time_days = IntegerField(null=True)


class Product(BaseModel):
    """Something the shop sells, with its running stock totals."""

    id = AutoField()
    sku = CharField(max_length=64, unique=True)
    name = CharField(max_length=200, index=True)
    price_cents = IntegerField(default=0)
    reorder_point = IntegerField(default=0)
    supplier = ForeignKeyField(Supplier, null=True, backref="products", on_delete="SET NULL")
    on_hand = IntegerField(default=0)
    reserved = IntegerField(default=0)
    waiting = IntegerField(default=0)
    created_at = DateTimeField()


class Barcode(BaseModel):
    """A code that identifies a product when scanned.

    ``code`` is the canonical form used for look-ups: a GTIN zero-padded to 14 digits, so
    the UPC-A ``012345678905`` and the EAN-13 ``0012345678905`` are the same product.
    ``display`` is the code as printed on the item.
    """

    id = AutoField()
    product = ForeignKeyField(Product, backref="barcodes", on_delete="CASCADE")
    code = CharField(max_length=64, unique=True)
    display = CharField(max_length=64)


class Customer(BaseModel):
    """Someone who orders; contact details are how they are told."""

    id = AutoField()
    name = CharField(max_length=200, index=True)
    email = CharField(max_length=254, null=True, index=True)
    phone = CharField(max_length=50, null=True)
    notes = TextField(default="")
    created_at = DateTimeField()


class Order(BaseModel):
    """A customer's order as taken at the counter."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="orders")
    placed_at = DateTimeField(index=True)
    priority = IntegerField(default=0)
    staff = ForeignKeyField(Staff, index=False)  # never searched by: unindexed
    note = TextField(default="")

    class Meta:
        table_name = "customer_order"


class OrderLine(BaseModel):
    """One product on an order and where each of its units stands.

    Every ordered unit is in exactly one bucket:
    ``qty_ordered == qty_reserved + qty_shipped + qty_waiting + qty_cancelled``.
    ``queued_at`` copies the order's time so the queue index needs no join.
    """

    id = AutoField()
    order = ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    # Unindexed on its own: every look-up by product is of waiting lines, which the queue
    # index below serves, and the index cost two random pages in every order's commit.
    product = ForeignKeyField(Product, backref="order_lines", index=False)
    unit_price_cents = IntegerField()
    qty_ordered = IntegerField()
    qty_reserved = IntegerField(default=0)
    qty_shipped = IntegerField(default=0)
    qty_waiting = IntegerField(default=0)
    qty_cancelled = IntegerField(default=0)
    priority = IntegerField(default=0)
    queued_at = DateTimeField()
    decision = CharField(max_length=10, null=True)  # wait | cancel, when the line was short
    decided_by = ForeignKeyField(Staff, null=True, index=False)  # never searched by: unindexed
    decided_at = DateTimeField(null=True)
    eta_notified = DateField(null=True)
    cancel_reason = TextField(null=True)
    # History the quantities above lose as they move (kept for the dashboard):
    #: Units reserved when the order was placed: the fill rate's share of ``qty_ordered``.
    qty_reserved_at_order = IntegerField(default=0)
    #: Units lost to a shortage: the whole line when the customer chose ``cancel`` at the
    #: counter, plus waiting units cancelled later (units released from stock are not lost).
    qty_lost = IntegerField(default=0)
    #: When the queue served the line's last waiting unit; ``None`` if it never waited,
    #: still waits, or was cancelled while waiting.
    fulfilled_at = DateTimeField(null=True)

    class Meta:
        table_name = "order_line"
        constraints = [
            SQL("CHECK (qty_ordered > 0)"),
            SQL("CHECK (qty_reserved >= 0 AND qty_shipped >= 0)"),
            SQL("CHECK (qty_waiting >= 0 AND qty_cancelled >= 0)"),
        ]


# The backorder queue: a product's waiting lines in serving order, small because only
# waiting lines are in it.
OrderLine.add_index(
    OrderLine.index(
        OrderLine.product,
        OrderLine.priority.desc(),
        OrderLine.queued_at,
        OrderLine.id,
        name="order_line_queue",
    ).where(OrderLine.qty_waiting > 0)
)

# The backorder list across all products in serving order: its first page is read straight
# off this index instead of sorting every waiting line.
OrderLine.add_index(
    OrderLine.index(
        OrderLine.priority.desc(),
        OrderLine.queued_at,
        OrderLine.id,
        name="order_line_serving",
    ).where(OrderLine.qty_waiting > 0)
)


# The orders list's status filter asks, per order, "has a line with waiting / reserved /
# cancelled units?"; these small partial indexes answer without reading the lines.
for _name, _column in (
    ("order_line_waiting_order", OrderLine.qty_waiting),
    ("order_line_reserved_order", OrderLine.qty_reserved),
    ("order_line_cancelled_order", OrderLine.qty_cancelled),
):
    OrderLine.add_index(OrderLine.index(OrderLine.order, name=_name).where(_column > 0))


# Lost demand by product (``app.dashboard``) reads only this small index: the few lines
# that lost units to a shortage.
OrderLine.add_index(
    OrderLine.index(
        OrderLine.product,
        OrderLine.queued_at,
        OrderLine.qty_lost,
        OrderLine.unit_price_cents,
        name="order_line_lost",
    ).where(OrderLine.qty_lost > 0)
)


class PurchaseOrder(BaseModel):
    """Goods ordered from a supplier; its open lines are the incoming stock."""

    id = AutoField()
    supplier = ForeignKeyField(Supplier, backref="purchase_orders")
    expected_date = DateField(index=True)
    created_at = DateTimeField()
    status = CharField(max_length=10, default="open")  # draft | open | closed | cancelled
    staff = ForeignKeyField(Staff)
    note = TextField(default="")

    class Meta:
        table_name = "purchase_order"


class PurchaseOrderLine(BaseModel):
    """One product on a purchase order; outstanding = ordered - received (not below 0)."""

    id = AutoField()
    purchase_order = ForeignKeyField(PurchaseOrder, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, backref="po_lines")
    qty_ordered = IntegerField()
    qty_received = IntegerField(default=0)

    class Meta:
        table_name = "purchase_order_line"
        constraints = [SQL("CHECK (qty_ordered > 0 AND qty_received >= 0)")]


class Receipt(BaseModel):
    """Goods received in one go; a draft grows scan by scan until it is committed."""

    id = AutoField()
    created_at = DateTimeField()
    committed_at = DateTimeField(null=True)
    status = CharField(max_length=10, default="draft")  # draft | committed | discarded
    staff = ForeignKeyField(Staff)
    purchase_order = ForeignKeyField(PurchaseOrder, null=True, backref="receipts")
    note = TextField(default="")


class ReceiptLine(BaseModel):
    """Units of one product on a receipt."""

    id = AutoField()
    receipt = ForeignKeyField(Receipt, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product)
    qty = IntegerField()

    class Meta:
        table_name = "receipt_line"
        constraints = [SQL("CHECK (qty > 0)")]


class StockMovement(BaseModel):
    """The ledger: every change to a product's on-hand stock is one row.

    ``kind`` is ``receipt``, ``shipment``, ``adjustment`` or ``import`` (a count from a
    file, ``Controller.import_products``); ``qty`` is signed.
    """

    id = AutoField()
    product = ForeignKeyField(Product, backref="movements")
    qty = IntegerField()
    kind = CharField(max_length=20)
    reason = TextField(default="")
    receipt = ForeignKeyField(Receipt, null=True)
    order_line = ForeignKeyField(OrderLine, null=True)
    staff = ForeignKeyField(Staff, index=False)  # never searched by: unindexed
    created_at = DateTimeField()

    class Meta:
        table_name = "stock_movement"
        constraints = [SQL("CHECK (qty <> 0)")]


class CustomerMessage(BaseModel):
    """The outbox: one message per customer and event, listing every line concerned.

    ``status``: queued | sent | failed | uncertain | told. ``message_id`` is stable so a
    resend of the same message is recognisable by the recipient's mail program; it is
    unique by how it is made (``app.messaging``) and unindexed: nothing looks a message
    up by it, and every order that waits would write one more index page.
    """

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="messages")
    order = ForeignKeyField(Order, null=True, backref="messages")
    event = CharField(max_length=30)
    created_at = DateTimeField(index=True)
    subject = CharField(max_length=300)
    body = TextField()
    payload = TextField(default="{}")
    status = CharField(max_length=12, default="queued", index=True)
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    sent_at = DateTimeField(null=True)
    told_via = CharField(max_length=20, null=True)  # email | phone | in person | printed
    told_by = ForeignKeyField(Staff, null=True, index=False)  # never searched by: unindexed
    message_id = CharField(max_length=200)

    class Meta:
        table_name = "customer_message"


class AuditEvent(BaseModel):
    """Who did what and when; written in the same transaction as the change."""

    id = AutoField()
    at = DateTimeField(index=True)
    staff = ForeignKeyField(Staff)
    action = CharField(max_length=50)
    entity = CharField(max_length=30)
    entity_id = IntegerField(null=True)
    detail = TextField(default="{}")

    class Meta:
        table_name = "audit_event"
        indexes = ((("entity", "entity_id"), False),)


#: In creation order (referenced tables first).
ALL_MODELS: list[type[BaseModel]] = [
    Setting,
    Staff,
    Supplier,
    Product,
    Barcode,
    Customer,
    Order,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    StockMovement,
    CustomerMessage,
    AuditEvent,
]
