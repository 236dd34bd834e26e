"""The demo shop: fill a new, empty store with a believable hardware and homeware shop.

``build_demo`` plays about seven weeks of trading through the controller, so every row is
one the program itself could have written: suppliers, products with SKUs, prices, reorder
points and barcodes, customers, opening stock, counter orders (some short: the customer
waits or cancels), shipments, reorder rounds per supplier whose deliveries serve the
queues, a few later cancellations, and the purchase orders still open today (one of them
overdue). The result is the same for the same seed and the same "now".

Demo barcodes are GTIN-13s with the GS1 prefix ``20`` (restricted circulation, for use
inside one company), so they can never be a real product's code. E-mail addresses use the
reserved ``example.*`` domains, and phone numbers the ranges Ofcom keeps for drama.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any

from app.barcodes import gtin13_with_check_digit
from app.controller import Controller, Decision, OrderItem
from app.errors import UserError
from app.models import Customer, Order, OrderLine, Product, PurchaseOrder
from app.queries import count_backorders, product_figures

#: Seed of the demo's random choices; the same seed gives the same shop.
DEMO_SEED = 2026

#: How far back the simulated trading starts (orders fill the last ``ORDER_DAYS``).
SETUP_DAYS = 60
ORDER_DAYS = 45

#: GS1 restricted-circulation prefix: codes for use inside one company only.
BARCODE_PREFIX = "20"

SHORT_LINE_CANCEL_SHARE = 0.15  # short lines the customer cancels rather than waits for
LATER_CANCEL_SHARE = 0.06  # waiting lines the customer gives up on later
SUPPLIER_SHORT_DAYS = 21  # some articles could not be reordered in the last three weeks
TRADE_PRIORITY = 5  # trade accounts are served before walk-in customers


@dataclass(frozen=True)
class DemoSize:
    """How big a demo shop is."""

    products: int
    customers: int
    orders: int


SIZES: dict[str, DemoSize] = {
    "small": DemoSize(products=60, customers=80, orders=150),
    "large": DemoSize(products=2_000, customers=5_000, orders=20_000),
}


@dataclass(frozen=True)
class DemoSummary:
    """What the demo shop holds once built."""

    products: int
    customers: int
    orders: int
    waiting_lines: int
    purchase_orders: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class _Line:
    """A kind of article: a name template and what varies, for one department."""

    template: str  # with {m} (material or finish) and {v} (size or pack)
    materials: tuple[str, ...]
    variants: tuple[str, ...]
    base_cents: int


@dataclass(frozen=True)
class _Department:
    prefix: str
    supplier: str
    lead_time_days: int
    lines: tuple[_Line, ...]


_METALS = ("Brass", "Stainless steel", "Black iron", "Satin nickel", "Chrome", "Antique bronze")
_WOODS = ("Oak", "Pine", "Walnut", "Beech", "Ash", "Bamboo")
_COLOURS = ("Black", "Navy", "Red", "Green", "Sky blue", "Ochre", "Grey")
_PAINT_COLOURS = (
    "Chalk white",
    "Magnolia",
    "Pebble grey",
    "Sage green",
    "Duck egg blue",
    "Charcoal",
    "Stone",
    "Heritage red",
    "Dove grey",
    "Ochre yellow",
    "Navy",
    "Terracotta",
    "Pale pink",
    "Forest green",
)
_TINS = ("tester 100 ml", "1 l", "2.5 l", "5 l")
_SOCKET_FINISHES = (
    "White",
    "Brushed steel",
    "Polished chrome",
    "Antique brass",
    "Matt black",
    "Satin nickel",
)

DEPARTMENTS: tuple[_Department, ...] = (
    _Department(
        "HW",
        "Northfield Fixings Ltd",
        7,
        (
            _Line("{m} hinge {v}", _METALS, ("50 mm", "63 mm", "75 mm", "100 mm"), 450),
            _Line(
                "{m} cabinet knob {v}",
                _METALS + ("Ceramic", "Oak"),
                ("25 mm", "32 mm", "38 mm"),
                320,
            ),
            _Line(
                "{m} cabinet handle {v}",
                _METALS,
                ("96 mm", "128 mm", "160 mm", "192 mm", "320 mm"),
                580,
            ),
            _Line(
                "{m} wood screws {v}",
                ("Zinc-plated", "Stainless steel", "Brass", "Black japanned", "Yellow passivated"),
                (
                    "3 x 20 mm (box of 200)",
                    "3.5 x 30 mm (box of 200)",
                    "4 x 40 mm (box of 200)",
                    "4 x 50 mm (box of 100)",
                    "5 x 60 mm (box of 100)",
                    "5 x 80 mm (box of 100)",
                ),
                590,
            ),
            _Line(
                "{m} wall plugs {v}",
                ("Yellow", "Red", "Brown", "Grey", "Blue"),
                ("(box of 100)", "(box of 250)", "(box of 500)"),
                290,
            ),
            _Line(
                "{m} coat hook, {v}",
                _METALS + ("Oak", "Walnut"),
                ("single", "double", "triple"),
                390,
            ),
            _Line(
                "{m} shelf bracket {v}",
                ("Black iron", "White steel", "Brass", "Galvanised", "Oak"),
                ("125 mm", "150 mm", "200 mm", "250 mm", "300 mm"),
                420,
            ),
            _Line("{m} tower bolt {v}", _METALS, ("75 mm", "100 mm", "150 mm", "200 mm"), 520),
            _Line(
                "{m} padlock {v}",
                ("Brass", "Laminated steel", "Stainless steel", "Weatherproof"),
                ("30 mm", "40 mm", "50 mm", "60 mm"),
                890,
            ),
            _Line(
                "{m} castor {v}",
                ("Rubber", "Nylon", "Polyurethane", "Braked rubber"),
                ("38 mm", "50 mm", "75 mm", "100 mm", "125 mm"),
                360,
            ),
            _Line(
                "{m} drawer runners {v}",
                ("Ball-bearing", "Soft-close", "Push-to-open", "Roller"),
                ("250 mm", "300 mm", "350 mm", "400 mm", "450 mm", "500 mm"),
                1_290,
            ),
            _Line("{m} door stop, {v}", _METALS + ("Rubber", "Oak"), ("floor", "wall"), 450),
            _Line(
                "{m} chain {v}",
                ("Zinc-plated", "Stainless steel", "Brass", "Black"),
                ("2 mm per metre", "3 mm per metre", "5 mm per metre", "8 mm per metre"),
                260,
            ),
            _Line(
                "{m} picture hooks {v}",
                ("Brass", "Nickel", "Steel"),
                ("(pack of 10)", "(pack of 25)", "heavy duty (pack of 6)"),
                240,
            ),
            _Line(
                "{m} door handle on rose, {v}",
                _METALS,
                ("lever", "knob", "lever pair", "privacy set"),
                1_490,
            ),
            _Line(
                "{m} letter plate {v}",
                _METALS,
                ("250 mm", "300 mm", "with knocker"),
                1_990,
            ),
            _Line(
                "{m} hook and eye {v}",
                _METALS,
                ("50 mm", "75 mm", "100 mm", "150 mm"),
                290,
            ),
            _Line(
                "{m} bolts and nuts {v}",
                ("Zinc-plated", "Stainless steel", "Galvanised", "High-tensile"),
                (
                    "M5 x 30 (pack of 20)",
                    "M6 x 40 (pack of 20)",
                    "M8 x 50 (pack of 10)",
                    "M10 x 60 (pack of 10)",
                    "M12 x 80 (pack of 5)",
                ),
                390,
            ),
            _Line(
                "{m} nails {v}",
                ("Round wire", "Oval wire", "Galvanised clout", "Panel pins", "Masonry"),
                (
                    "20 mm (500 g)",
                    "40 mm (500 g)",
                    "50 mm (500 g)",
                    "75 mm (1 kg)",
                    "100 mm (1 kg)",
                ),
                340,
            ),
            _Line(
                "{m} cup hooks {v}",
                ("Brass", "Chrome", "White", "Black"),
                ("19 mm (pack of 10)", "25 mm (pack of 10)", "32 mm (pack of 8)"),
                190,
            ),
            _Line(
                "{m} cabinet hinge {v}",
                ("Soft-close", "Full overlay", "Half overlay", "Inset", "Glass door"),
                ("35 mm (pair)", "26 mm (pair)", "35 mm (pack of 10)"),
                590,
            ),
        ),
    ),
    _Department(
        "HO",
        "Oakridge Homewares",
        14,
        (
            _Line(
                "{m} wall shelf {v}", _WOODS, ("40 cm", "60 cm", "80 cm", "100 cm", "120 cm"), 2_490
            ),
            _Line("{m} chopping board {v}", _WOODS, ("small", "medium", "large", "XL"), 1_490),
            _Line(
                "{m} storage box {v}",
                ("Seagrass", "Willow", "Felt", "Canvas", "Pine"),
                ("small", "medium", "large", "set of 3"),
                1_190,
            ),
            _Line(
                "{m} picture frame {v}",
                _WOODS + ("Black", "White", "Gold"),
                ("10 x 15 cm", "13 x 18 cm", "A4", "30 x 40 cm", "A3"),
                890,
            ),
            _Line(
                "{m} mixing bowl {v}",
                ("Stoneware", "Enamel", "Glass", "Stainless steel", "Bamboo"),
                ("1 l", "2 l", "3 l", "4.5 l"),
                1_290,
            ),
            _Line(
                "{m} tea towel, {v}",
                ("Linen", "Cotton", "Waffle cotton", "Organic cotton"),
                ("striped", "checked", "plain", "herringbone", "pack of 3"),
                590,
            ),
            _Line(
                "{m} cushion cover {v}",
                ("Linen", "Velvet", "Wool", "Cotton", "Corduroy"),
                ("40 x 40 cm", "45 x 45 cm", "50 x 50 cm", "30 x 50 cm"),
                1_490,
            ),
            _Line(
                "{m} vase {v}",
                ("Ceramic", "Glass", "Stoneware", "Terracotta", "Enamel"),
                ("15 cm", "20 cm", "25 cm", "30 cm"),
                1_690,
            ),
            _Line(
                "{m} laundry basket {v}",
                ("Willow", "Seagrass", "Canvas", "Rope"),
                ("40 l", "60 l", "80 l"),
                2_290,
            ),
            _Line(
                "{m} coat rack with {v}",
                _WOODS,
                ("3 hooks", "5 hooks", "7 hooks"),
                2_990,
            ),
            _Line(
                "{m} doormat {v}",
                ("Coir", "Rubber", "Jute", "Cotton rag"),
                ("40 x 60 cm", "50 x 80 cm", "60 x 90 cm", "70 x 120 cm"),
                1_590,
            ),
            _Line(
                "{m} candle holder {v}",
                _METALS + ("Glass", "Oak"),
                ("single", "pair", "set of 3"),
                990,
            ),
            _Line(
                "{m} mug {v}",
                ("Stoneware", "Enamel", "Porcelain", "Speckled stoneware"),
                ("250 ml", "350 ml", "450 ml", "set of 4"),
                690,
            ),
            _Line(
                "{m} serving tray {v}",
                _WOODS + ("Enamel", "Rattan"),
                ("small", "large", "round"),
                1_890,
            ),
            _Line(
                "{m} throw {v}",
                ("Wool", "Cotton", "Linen", "Cashmere-blend", "Mohair"),
                ("130 x 170 cm", "150 x 200 cm", "herringbone 130 x 180 cm"),
                3_990,
            ),
            _Line(
                "{m} dinner plate {v}",
                ("Stoneware", "Porcelain", "Enamel", "Speckled stoneware", "Bone china"),
                ("26 cm", "28 cm", "set of 4", "set of 6"),
                790,
            ),
            _Line(
                "{m} bath towel, {v}",
                ("White", "Charcoal", "Sage", "Sand", "Navy", "Blush"),
                ("hand", "bath", "bath sheet", "guest (pair)"),
                890,
            ),
            _Line(
                "{m} glass tumbler {v}",
                ("Recycled", "Ribbed", "Fluted", "Plain", "Smoked"),
                ("250 ml", "350 ml", "set of 4", "set of 6"),
                390,
            ),
            _Line(
                "{m} wall clock {v}",
                ("Oak", "Brass", "Black metal", "White", "Walnut"),
                ("25 cm", "30 cm", "40 cm"),
                2_490,
            ),
            _Line(
                "{m} bread bin, {v}",
                ("Enamel", "Bamboo", "Oak", "Galvanised"),
                ("cream", "grey", "white", "black"),
                2_290,
            ),
            _Line(
                "{m} mirror {v}",
                ("Oak-framed", "Brass-framed", "Frameless", "Rattan", "Black-framed"),
                ("round 40 cm", "round 60 cm", "50 x 70 cm", "full length"),
                3_490,
            ),
        ),
    ),
    _Department(
        "ST",
        "Paperline Stationery Co.",
        5,
        (
            _Line(
                "{m} notebook {v}",
                ("Dotted", "Lined", "Squared", "Plain", "Recycled lined"),
                ("A4", "A5", "A6", "B5", "pocket"),
                490,
            ),
            _Line(
                "{m} ballpoint pen {v}", _COLOURS, ("(single)", "(pack of 10)", "(box of 50)"), 120
            ),
            _Line(
                "{m} pencil {v}",
                ("Graphite", "Carpenter's", "Colouring", "Cedar"),
                ("HB", "2B", "4B", "(pack of 12)"),
                90,
            ),
            _Line(
                "{m} envelopes {v}",
                ("White", "Manilla", "Kraft", "Window", "Padded"),
                ("C6 (pack of 50)", "C5 (pack of 50)", "C4 (pack of 25)", "DL (pack of 50)"),
                390,
            ),
            _Line(
                "{m} ring binder {v}",
                ("Black", "Red", "Blue", "Green", "Recycled board", "Clear"),
                ("A4 2-ring", "A4 4-ring", "A5 2-ring", "A4 lever arch"),
                350,
            ),
            _Line(
                "{m} sticky notes {v}",
                ("Yellow", "Neon", "Pastel", "Recycled"),
                ("38 x 51 mm", "76 x 76 mm", "76 x 127 mm"),
                250,
            ),
            _Line(
                "{m} highlighter {v}",
                ("Yellow", "Pink", "Green", "Orange", "Blue"),
                ("(single)", "(pack of 4)", "(pack of 10)"),
                110,
            ),
            _Line(
                "{m} fountain pen ink {v}",
                ("Blue-black", "Royal blue", "Black", "Burgundy", "Forest green"),
                ("30 ml bottle", "50 ml bottle", "cartridges (pack of 6)"),
                690,
            ),
            _Line(
                "{m} masking tape {v}",
                ("Cream", "Blue", "Low-tack", "Washi"),
                ("19 mm x 50 m", "25 mm x 50 m", "38 mm x 50 m", "50 mm x 50 m"),
                290,
            ),
            _Line(
                "{m} index cards {v}",
                ("White", "Ruled", "Coloured", "Squared"),
                ("(pack of 100)", "(pack of 250)", "with box"),
                240,
            ),
            _Line(
                "{m} stapler {v}",
                ("Metal", "Plastic", "Heavy-duty", "Long-reach"),
                ("half strip", "full strip", "pocket"),
                790,
            ),
            _Line(
                "{m} paper {v}",
                ("Copier", "Recycled", "Laid", "Coloured", "Card"),
                ("A4 80 gsm (500 sheets)", "A4 100 gsm (250 sheets)", "A3 80 gsm (500 sheets)"),
                590,
            ),
            _Line(
                "{m} envelope wallet {v}",
                ("Kraft", "Card", "Plastic", "Recycled"),
                ("A4", "A5", "foolscap"),
                190,
            ),
            _Line(
                "{m} greetings card, {v}",
                ("Birthday", "Thank you", "Blank", "Sympathy", "Congratulations", "Wedding"),
                ("single", "pack of 5", "pack of 10"),
                250,
            ),
            _Line(
                "{m} eraser {v}",
                ("White vinyl", "Kneaded", "Pencil-shaped", "Pink rubber"),
                ("(single)", "(pack of 3)", "(pack of 10)"),
                80,
            ),
            _Line(
                "{m} ruler {v}",
                ("Steel", "Wooden", "Clear plastic", "Aluminium", "Flexible"),
                ("15 cm", "30 cm", "50 cm", "100 cm"),
                190,
            ),
            _Line(
                "{m} scissors {v}",
                ("Office", "Paper", "Left-handed", "Titanium-coated", "Kitchen"),
                ("13 cm", "17 cm", "21 cm", "25 cm"),
                390,
            ),
            _Line(
                "{m} diary {v}",
                ("Week-to-view", "Day-a-page", "Academic", "Desk", "Pocket"),
                ("A4", "A5", "A6", "slim"),
                690,
            ),
            _Line(
                "{m} gel pen {v}",
                _COLOURS,
                ("0.5 mm", "0.7 mm", "(pack of 10)"),
                150,
            ),
            _Line(
                "{m} felt-tip pens {v}",
                ("Fine", "Broad", "Brush", "Fibre"),
                ("(pack of 12)", "(pack of 24)", "(pack of 36)"),
                390,
            ),
            _Line(
                "{m} document wallet {v}",
                ("Red", "Blue", "Green", "Yellow", "Clear", "Black"),
                ("A4", "foolscap", "A4 expanding"),
                120,
            ),
            _Line(
                "{m} labels {v}",
                ("White", "Clear", "Kraft", "Removable", "Coloured"),
                (
                    "21 per sheet (100 sheets)",
                    "8 per sheet (100 sheets)",
                    "65 per sheet (100 sheets)",
                    "address roll",
                ),
                890,
            ),
        ),
    ),
    _Department(
        "TG",
        "Harbour Tools & Garden",
        21,
        (
            _Line(
                "{m} paintbrush {v}",
                ("Synthetic", "Pure bristle", "Angled synthetic", "Radiator"),
                ("12 mm", "25 mm", "38 mm", "50 mm", "75 mm", "100 mm"),
                390,
            ),
            _Line(
                "{m} claw hammer {v}",
                ("Fibreglass", "Hickory", "Steel", "Anti-vibration"),
                ("16 oz", "20 oz", "24 oz"),
                1_490,
            ),
            _Line(
                "{m} screwdriver {v}",
                ("Slotted", "Phillips", "Pozidriv", "Torx", "Insulated"),
                ("75 mm", "100 mm", "150 mm", "set of 6"),
                450,
            ),
            _Line(
                "{m} trowel {v}",
                ("Stainless steel", "Carbon steel", "Ash-handled", "Bamboo-handled"),
                ("hand", "transplanting", "pointing", "bucket"),
                890,
            ),
            _Line(
                "{m} plant pot {v}",
                ("Terracotta", "Glazed", "Zinc", "Recycled plastic", "Fibreclay"),
                ("12 cm", "17 cm", "21 cm", "30 cm", "40 cm"),
                490,
            ),
            _Line(
                "{m} garden twine {v}",
                ("Jute", "Sisal", "Cotton", "Green polypropylene"),
                ("50 m", "100 m", "250 m"),
                290,
            ),
            _Line(
                "{m} sandpaper {v}",
                ("Aluminium oxide", "Wet and dry", "Garnet", "Silicon carbide"),
                ("P80 (pack of 10)", "P120 (pack of 10)", "P180 (pack of 10)", "P240 (pack of 10)"),
                390,
            ),
            _Line(
                "{m} extension lead {v}",
                ("White", "Black", "Heavy-duty", "Surge-protected"),
                ("2 m", "5 m", "10 m", "4-way 2 m"),
                1_290,
            ),
            _Line(
                "{m} tape measure {v}",
                ("Steel", "Fibreglass", "Magnetic", "Compact"),
                ("3 m", "5 m", "8 m", "30 m"),
                790,
            ),
            _Line(
                "{m} secateurs, {v}",
                ("Bypass", "Anvil", "Ratchet", "Left-handed"),
                ("small", "standard", "heavy-duty"),
                1_690,
            ),
            _Line(
                "{m} wood glue {v}",
                ("Interior", "Exterior", "Quick-set", "Waterproof"),
                ("75 ml", "250 ml", "500 ml", "1 l"),
                490,
            ),
            _Line(
                "{m} watering can {v}",
                ("Galvanised", "Plastic", "Copper", "Enamel"),
                ("1 l", "5 l", "9 l"),
                1_990,
            ),
            _Line(
                "{m} spade, {v}",
                ("Stainless steel", "Carbon steel", "Border", "Treaded", "Ash-handled"),
                ("standard", "long handle", "children's"),
                2_490,
            ),
            _Line(
                "{m} garden hose {v}",
                ("Reinforced", "Expanding", "Flat", "Anti-kink"),
                ("15 m", "25 m", "30 m", "50 m"),
                1_990,
            ),
            _Line(
                "{m} chisel {v}",
                ("Bevel-edge", "Firmer", "Mortice", "Cold"),
                ("6 mm", "12 mm", "19 mm", "25 mm", "set of 4"),
                890,
            ),
            _Line(
                "{m} drill bit {v}",
                ("HSS", "Masonry", "Wood spade", "Tile", "Cobalt"),
                ("4 mm", "6 mm", "8 mm", "10 mm", "set of 10"),
                290,
            ),
            _Line(
                "{m} saw, {v}",
                ("Hand", "Tenon", "Coping", "Pruning", "Hacksaw", "Dovetail"),
                ("compact", "standard", "with spare blade"),
                1_290,
            ),
            _Line(
                "{m} gloves, {v}",
                ("Gardening", "Leather rigger", "Nitrile-coated", "Thorn-proof", "Latex"),
                ("small", "medium", "large", "extra large"),
                390,
            ),
            _Line(
                "{m} spirit level {v}",
                ("Aluminium", "Magnetic", "Torpedo", "Box-section"),
                ("230 mm", "600 mm", "1000 mm", "1200 mm"),
                990,
            ),
            _Line(
                "{m} compost {v}",
                ("Multi-purpose", "Peat-free", "Seed and cutting", "Ericaceous", "Potting"),
                ("10 l", "40 l", "60 l"),
                450,
            ),
            _Line(
                "{m} bird feeder, {v}",
                ("Seed", "Nut", "Fat ball", "Copper-roofed", "Window"),
                ("small", "large", "hanging"),
                890,
            ),
        ),
    ),
    _Department(
        "PD",
        "Colourworks Trade Paints",
        12,
        (
            _Line("{m} matt emulsion, {v}", _PAINT_COLOURS, _TINS, 1_490),
            _Line("{m} eggshell, {v}", _PAINT_COLOURS, _TINS, 1_890),
            _Line("{m} satin wood paint, {v}", _PAINT_COLOURS, _TINS[:3], 1_990),
            _Line("{m} gloss, {v}", _PAINT_COLOURS, _TINS[:3], 1_790),
            _Line("{m} masonry paint, {v}", _PAINT_COLOURS[:8], ("5 l", "10 l"), 3_490),
            _Line("{m} floor paint, {v}", _PAINT_COLOURS[:10], ("750 ml", "2.5 l"), 2_490),
            _Line(
                "{m} paint roller {v}",
                ("Short pile", "Medium pile", "Long pile", "Foam", "Mohair"),
                ("100 mm", "175 mm", "230 mm", "300 mm", "sleeve only 230 mm"),
                690,
            ),
            _Line(
                "{m} decorators' caulk, {v}",
                ("White", "Magnolia", "Grey", "Clear"),
                ("310 ml cartridge", "380 ml cartridge"),
                390,
            ),
            _Line(
                "{m} filler {v}",
                ("Ready-mixed", "Fine surface", "Flexible", "Wood", "Deep gap"),
                ("330 g", "600 g", "1 kg", "2 kg"),
                490,
            ),
            _Line(
                "{m} wood stain, {v}",
                ("Light oak", "Antique pine", "Walnut", "Ebony", "Teak", "Mahogany", "Clear"),
                ("250 ml", "750 ml", "2.5 l"),
                1_190,
            ),
            _Line(
                "{m} dust sheet {v}",
                ("Cotton twill", "Polythene", "Canvas", "Paper-backed"),
                ("2.7 x 3.6 m", "3.6 x 3.6 m", "3.6 x 7.2 m", "runner 0.9 x 10 m"),
                790,
            ),
        ),
    ),
    _Department(
        "EL",
        "Brightwire Electrical",
        10,
        (
            _Line(
                "{m} LED bulb {v}",
                ("Warm white", "Cool white", "Daylight", "Dimmable warm white", "Filament"),
                (
                    "E27 806 lm",
                    "E27 1521 lm",
                    "E14 470 lm",
                    "B22 806 lm",
                    "GU10 345 lm",
                    "B15 250 lm",
                    "E14 candle 470 lm",
                    "E27 globe 806 lm",
                ),
                390,
            ),
            _Line(
                "{m} light switch, {v}",
                _SOCKET_FINISHES,
                ("1 gang 2 way", "2 gang 2 way", "3 gang 2 way", "dimmer 1 gang"),
                690,
            ),
            _Line(
                "{m} wall socket, {v}",
                _SOCKET_FINISHES,
                ("single", "double", "double with USB", "switched spur"),
                790,
            ),
            _Line(
                "{m} extension reel {v}",
                ("Heavy-duty", "Garden", "Compact", "Cable-tidy"),
                ("10 m", "15 m", "25 m", "50 m"),
                2_490,
            ),
            _Line(
                "{m} cable {v}",
                ("Twin and earth", "3-core flex", "2-core flex", "Bell wire", "Speaker"),
                ("1 mm per metre", "1.5 mm per metre", "2.5 mm per metre", "50 m reel"),
                120,
            ),
            _Line(
                "{m} pendant shade {v}",
                ("Linen", "Rattan", "Glass", "Enamel", "Paper", "Brass"),
                ("20 cm", "30 cm", "40 cm", "50 cm"),
                1_990,
            ),
            _Line(
                "{m} batteries {v}",
                ("Alkaline", "Rechargeable", "Lithium", "Heavy-duty"),
                ("AA (pack of 4)", "AAA (pack of 4)", "AA (pack of 12)", "C (pack of 2)", "9 V"),
                390,
            ),
            _Line(
                "{m} fuse {v}",
                ("Cartridge", "Ceramic", "Glass"),
                ("3 A (pack of 4)", "5 A (pack of 4)", "13 A (pack of 4)", "mixed (pack of 10)"),
                190,
            ),
            _Line(
                "{m} torch {v}",
                ("LED", "Rechargeable", "Head", "Wind-up", "Waterproof"),
                ("pocket", "standard", "high-power", "with lantern"),
                990,
            ),
        ),
    ),
)

# fmt: off
FIRST_NAMES = (
    "Aisha", "Alan", "Alice", "Amara", "Amelia", "Andrew", "Anna", "Arjun", "Beatrice", "Ben",
    "Bethany", "Callum", "Carlos", "Chloe", "Claire", "Connor", "Daniel", "Deborah", "Declan",
    "Diana", "Dylan", "Eleanor", "Elif", "Ellis", "Emily", "Emma", "Ethan", "Fatima", "Finn",
    "Fiona", "Freya", "George", "Grace", "Hamza", "Hannah", "Harriet", "Harry", "Helen", "Hugo",
    "Imogen", "Isaac", "Isla", "Jack", "James", "Jasmine", "Jessica", "Joe", "John", "Joseph",
    "Julia", "Kate", "Kiran", "Laura", "Leo", "Liam", "Lily", "Lucy", "Luke", "Maria", "Marcus",
    "Martha", "Matthew", "Maya", "Megan", "Mohammed", "Molly", "Nadia", "Nathan", "Nia", "Noah",
    "Olivia", "Omar", "Oscar", "Owen", "Patrick", "Peter", "Priya", "Rachel", "Rhys", "Robert",
    "Rosie", "Ruth", "Sam", "Sarah", "Sean", "Sophie", "Stella", "Thomas", "Tom", "Victoria",
    "William", "Yusuf", "Zara", "Zoe",
)
# fmt: on

# fmt: off
LAST_NAMES = (
    "Adams", "Ahmed", "Ali", "Allen", "Bailey", "Baker", "Barnes", "Bell", "Bennett", "Brooks",
    "Brown", "Butler", "Campbell", "Carter", "Chapman", "Clark", "Clarke", "Cole", "Collins",
    "Cook", "Cooper", "Cox", "Davies", "Davis", "Dixon", "Edwards", "Ellis", "Evans", "Fisher",
    "Foster", "Fox", "Gibson", "Graham", "Gray", "Green", "Griffiths", "Hall", "Harris",
    "Harrison", "Hill", "Holmes", "Hughes", "Hunt", "Hussain", "Jackson", "James", "Jenkins",
    "Johnson", "Jones", "Kaur", "Kelly", "Khan", "King", "Knight", "Lee", "Lewis", "Lloyd",
    "Marshall", "Martin", "Mason", "Matthews", "Miller", "Mills", "Mitchell", "Moore", "Morgan",
    "Morris", "Murphy", "Murray", "Owen", "Palmer", "Parker", "Patel", "Pearson", "Phillips",
    "Powell", "Price", "Reid", "Reynolds", "Richards", "Roberts", "Robinson", "Rogers", "Russell",
    "Scott", "Shaw", "Simpson", "Singh", "Smith", "Stevens", "Taylor", "Thomas", "Thompson",
    "Turner", "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wood", "Wright",
    "Young",
)
# fmt: on

TRADE_CUSTOMERS = (
    "Greenway Builders Ltd",
    "Hartley & Sons Joinery",
    "Brightside Decorators",
    "Riverside Lettings",
    "Kingsmead Primary School",
    "The Old Mill Café",
    "Parkview Property Care",
    "Holloway Kitchens",
    "Castle Street Dental",
    "Meadowbank Nursery",
    "Avalon Shopfitters",
    "Tidy Gardens Co.",
)

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

#: Ofcom's ranges for drama: 01632 960000-960999 and 07700 900000-900999.
PHONE_RANGES = ("01632 960", "07700 900")

CUSTOMER_NOTES = (
    "Prefers a phone call.",
    "Collects on Saturdays.",
    "Ask for Jo at the back door.",
    "Happy with a text message.",
)

LATE_CANCEL_REASONS = (
    "Customer found it elsewhere",
    "Customer no longer needs it",
    "Job postponed",
    "Customer changed the order",
)

_EVENT_ORDER = ("order", "receive", "ship", "cancel", "reorder")


@dataclass(frozen=True)
class _PlannedOrder:
    """A counter order decided in advance, played back at its time."""

    at: datetime
    customer: int  # index into the customers list
    lines: tuple[tuple[int, int], ...]  # (product index, qty)


def build_demo(
    controller: Controller,
    *,
    size: str = "small",
    progress: Callable[[int, int], None] | None = None,
    seed: int = DEMO_SEED,
) -> DemoSummary:
    """Fill a new, empty store with a demo shop, in one transaction.

    Trading is played back over the weeks before ``controller.clock()``; the controller's
    clock is swapped for the simulated one meanwhile and restored afterwards. ``progress``
    is called now and then with ``(done, total)``; if it raises (the user cancelled), the
    exception propagates and nothing is kept. ``seed`` picks another, equally plausible shop.

    Raises:
        UserError: an unknown size, or the store already has products (the demo would mix
            with real data); nothing is written.
    """
    shape = SIZES.get(size)
    if shape is None:
        raise UserError(
            f"Unknown demo size {size!r}: choose one of {', '.join(SIZES)}.", field="size"
        )
    builder = _Builder(controller, shape, random.Random(seed), progress)
    real_clock = controller.clock
    try:
        # One transaction: a failure or a cancel leaves the store empty, not half a shop;
        # the controller's own transactions nest in it as savepoints.
        with controller.store.write():
            if Product.select().exists():
                raise UserError(
                    "This store already has products, so the demo shop was not added (it "
                    "would mix with your data). Open a new, empty store for the demo."
                )
            builder.build()
    finally:
        controller.clock = real_clock
    return DemoSummary(
        products=Product.select().count(),
        customers=Customer.select().count(),
        orders=Order.select().count(),
        waiting_lines=count_backorders(),
        purchase_orders=PurchaseOrder.select().count(),
    )


class _Builder:
    """Plays the demo's weeks of trading through the controller, in time order."""

    def __init__(
        self,
        controller: Controller,
        shape: DemoSize,
        rng: random.Random,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.controller = controller
        self.shape = shape
        self.rng = rng
        self.progress = progress
        self.today = controller.clock().replace(microsecond=0)
        self.now = self.today - timedelta(days=SETUP_DAYS)
        self.total = 2 * shape.products + shape.customers + shape.orders
        self.done = 0
        self.report_every = max(self.total // 200, 1)
        self.events: list[tuple[datetime, int, int, Any]] = []
        self.sequence = itertools.count()
        self.supplier_ids: list[int] = []
        self.product_ids: list[int] = []
        self.department_of: list[int] = []  # per product index
        self.pack_of: list[int] = []  # reorder pack size per product index
        self.customer_ids: list[int] = []
        self.trade: set[int] = set()  # customer indexes with a trade account
        self.supplier_short: set[int] = set()  # product indexes the supplier cannot send

    # ---------------------------------------------------------------- helpers

    def _clock(self) -> datetime:
        return self.now

    def _tick(self) -> None:
        self.done += 1
        if self.progress is not None and self.done % self.report_every == 0:
            self.progress(min(self.done, self.total), self.total)

    def _at(self, when: datetime, kind: str, data: Any) -> None:
        """Book an event; what would happen after "now" does not happen."""
        if when < self.today:
            event = (when, _EVENT_ORDER.index(kind), next(self.sequence), data)
            heapq.heappush(self.events, event)

    # ------------------------------------------------------------------ build

    def build(self) -> None:
        self.controller.clock = self._clock
        self._suppliers()
        catalogue = self._catalogue()
        plan, popular = self._plan_orders(len(catalogue))
        demand = [0] * len(catalogue)
        for order in plan:
            for product, qty in order.lines:
                demand[product] += qty
        self._products(catalogue, demand)
        self._opening_stock(demand, popular)
        self.supplier_short = {
            index
            for index in range(len(self.product_ids))
            if self.rng.random() < (0.3 if index in popular else 0.1)
        }
        self._customers()
        for order in plan:
            self._at(order.at, "order", order)
        self._plan_reorder_rounds()
        while self.events:
            when, kind_index, _seq, data = heapq.heappop(self.events)
            self.now = when
            getattr(self, f"_on_{_EVENT_ORDER[kind_index]}")(data)
        self.now = self.today
        if self.progress is not None:
            self.progress(self.total, self.total)

    def _suppliers(self) -> None:
        for department in DEPARTMENTS:
            supplier = self.controller.supplier_named(
                department.supplier, lead_time_days=department.lead_time_days
            )
            self.supplier_ids.append(supplier.id)

    def _catalogue(self) -> list[tuple[int, str, int]]:
        """(department, name, price) of the products, the departments mixed evenly."""
        per_department: list[list[tuple[int, str, int]]] = []
        for number, department in enumerate(DEPARTMENTS):
            items = [
                (number, line.template.format(m=material, v=variant), _price(line, m_i, v_i))
                for line in department.lines
                for m_i, material in enumerate(line.materials)
                for v_i, variant in enumerate(line.variants)
            ]
            self.rng.shuffle(items)
            per_department.append(items)
        mixed = [
            item
            for group in itertools.zip_longest(*per_department)
            for item in group
            if item is not None
        ]
        if len(mixed) < self.shape.products:
            raise AssertionError(f"the demo catalogue has only {len(mixed)} articles")
        return mixed[: self.shape.products]

    def _plan_orders(self, n_products: int) -> tuple[list[_PlannedOrder], set[int]]:
        """Every counter order up front, so stock and reorder points fit the demand.

        Returns the orders in time order and the best-selling quarter of the products.
        """
        # A few articles sell far more than the rest, as in any shop.
        ranks = list(range(n_products))
        self.rng.shuffle(ranks)
        cumulative = list(itertools.accumulate(1 / (rank + 3) ** 0.8 for rank in ranks))
        popular = {product for product, rank in enumerate(ranks) if rank < n_products // 4}
        start = self.today - timedelta(days=ORDER_DAYS)
        plan = []
        for _ in range(self.shape.orders):
            # Trade picks up towards the end (the season starts), faster than the
            # reorder points expected: the queues grow.
            days = int(ORDER_DAYS * self.rng.random() ** 0.6)
            day = (start + timedelta(days=days)).date()
            at = datetime.combine(day, time(8, 30)) + timedelta(minutes=self.rng.randrange(540))
            n_lines = self.rng.choice((1, 1, 1, 2, 2, 3, 4))
            picked = self.rng.choices(range(n_products), cum_weights=cumulative, k=n_lines)
            lines = tuple(
                (product, self.rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 10)))
                for product in dict.fromkeys(picked)
            )
            customer = self.rng.randrange(self.shape.customers)
            plan.append(_PlannedOrder(at=at, customer=customer, lines=lines))
        plan.sort(key=lambda order: order.at)
        return plan, popular

    def _products(self, catalogue: list[tuple[int, str, int]], demand: list[int]) -> None:
        counters = [0] * len(DEPARTMENTS)
        step = timedelta(days=2) / len(catalogue)
        for index, (department, name, price) in enumerate(catalogue):
            self.now += step
            counters[department] += 1
            sku = f"{DEPARTMENTS[department].prefix}-{counters[department]:04d}"
            # Enough to cover the supplier's lead time and a week more at the usual pace.
            cover_days = DEPARTMENTS[department].lead_time_days + 7
            reorder = max(math.ceil(demand[index] * cover_days / ORDER_DAYS), 1)
            product = self.controller.add_product(
                sku=sku,
                name=name,
                price_cents=price,
                reorder_point=reorder,
                barcodes=[gtin13_with_check_digit(f"{BARCODE_PREFIX}{index + 1:010d}")],
                supplier_id=self.supplier_ids[department],
            )
            self.product_ids.append(product.id)
            self.department_of.append(department)
            self.pack_of.append(10 if price < 500 else 5 if price < 2_000 else 1)
            self._tick()

    def _opening_stock(self, demand: list[int], popular: set[int]) -> None:
        self.now = self.today - timedelta(days=SETUP_DAYS - 3)
        step = timedelta(days=1) / len(self.product_ids)
        for index, product_id in enumerate(self.product_ids):
            self.now += step
            if self.rng.random() < (0.6 if index in popular else 0.3):
                # Scarce articles: little in stock for what is coming, so their orders
                # are short until a delivery comes.
                units = int(demand[index] * self.rng.uniform(0.0, 0.35))
            else:
                units = int(demand[index] * self.rng.uniform(0.6, 1.3)) + self.rng.randint(2, 8)
            if units > 0:
                self.controller.adjust_stock(product_id, units, reason="opening stock")
            self._tick()

    def _customers(self) -> None:
        count = self.shape.customers
        n_trade = min(max(count // 25, 2), len(TRADE_CUSTOMERS))
        people = self.rng.sample(
            [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES], count - n_trade
        )
        names = list(TRADE_CUSTOMERS[:n_trade]) + people
        self.rng.shuffle(names)
        # After the stock count, before the first order.
        self.now = self.today - timedelta(days=SETUP_DAYS - 5)
        step = timedelta(days=SETUP_DAYS - ORDER_DAYS - 6) / count
        for index, name in enumerate(names):
            self.now += step
            is_trade = name in TRADE_CUSTOMERS
            email = None
            if is_trade or self.rng.random() < 0.85:
                email = f"{_mailbox(name)}@{self.rng.choice(EMAIL_DOMAINS)}"
            phone = None
            if is_trade or email is None or self.rng.random() < 0.8:
                phone = f"{self.rng.choice(PHONE_RANGES)}{self.rng.randrange(1000):03d}"
            notes = "Trade account." if is_trade else ""
            if not is_trade and self.rng.random() < 0.05:
                notes = self.rng.choice(CUSTOMER_NOTES)
            customer = self.controller.add_customer(
                name=name, email=email, phone=phone, notes=notes
            )
            self.customer_ids.append(customer.id)
            if is_trade:
                self.trade.add(index)
            self._tick()

    def _plan_reorder_rounds(self) -> None:
        """Each supplier is reordered from every week and a half or so; the slowest
        supplier's round of three weeks and three days ago is late (the overdue order)."""
        start = self.today - timedelta(days=ORDER_DAYS)
        for department in range(len(DEPARTMENTS)):
            every = timedelta(days=self.rng.randint(9, 13))
            when = datetime.combine(
                (start + timedelta(days=self.rng.randint(4, 9))).date(), time(17, 45)
            )
            while when < self.today:
                self._at(when, "reorder", (department, False))
                when += every
        slowest = max(range(len(DEPARTMENTS)), key=lambda d: DEPARTMENTS[d].lead_time_days)
        late = self.today - timedelta(days=DEPARTMENTS[slowest].lead_time_days + 3)
        self._at(datetime.combine(late.date(), time(17, 50)), "reorder", (slowest, True))

    # ---------------------------------------------------------------- events

    def _on_order(self, planned: _PlannedOrder) -> None:
        rng = self.rng
        decisions = {
            self.product_ids[product]: (
                Decision.CANCEL if rng.random() < SHORT_LINE_CANCEL_SHARE else Decision.WAIT
            )
            for product, _qty in planned.lines
        }
        trade = planned.customer in self.trade
        placed = self.controller.place_order(
            self.customer_ids[planned.customer],
            [OrderItem(self.product_ids[product], qty) for product, qty in planned.lines],
            decisions=decisions,
            priority=TRADE_PRIORITY if trade else 0,
            note="Trade account" if trade else "",
        )
        self._tick()
        waiting = [line for line in placed.lines if line.waiting]
        # Most customers take what is here at once, some collect later; a customer with
        # lines still to come often waits to take everything together.
        takes_now = rng.random() < (0.5 if waiting else 0.85)
        if takes_now and any(line.reserved for line in placed.lines):
            later = timedelta(minutes=rng.randrange(5, 2_880))
            self._at(self.now + later, "ship", placed.order_id)
        for line in waiting:
            if rng.random() < LATER_CANCEL_SHARE:
                later = timedelta(days=rng.uniform(4, 25))
                self._at(self.now + later, "cancel", line.line_id)

    def _on_ship(self, order_id: int) -> None:
        ready = (
            OrderLine.select()
            .where(OrderLine.order == order_id, OrderLine.qty_reserved > 0)
            .exists()
        )
        if ready:  # not when everything went out with an earlier collection
            self.controller.ship_order(order_id)

    def _on_cancel(self, line_id: int) -> None:
        if OrderLine.get_by_id(line_id).qty_waiting > 0:
            self.controller.cancel_line(line_id, reason=self.rng.choice(LATE_CANCEL_REASONS))

    def _on_reorder(self, data: tuple[int, bool]) -> None:
        department, late = data
        own = {
            pid: index
            for index, pid in enumerate(self.product_ids)
            if self.department_of[index] == department
        }
        figures = product_figures(product_ids=list(own))
        if self.now > self.today - timedelta(days=SUPPLIER_SHORT_DAYS):
            # The supplier is out of some articles: they are not booked, so their waiting
            # lines have no date yet.
            figures = [f for f in figures if own[f.product_id] not in self.supplier_short]
        items = [
            OrderItem(
                f.product_id,
                _round_up(
                    max(f.reorder_point + f.waiting - f.available - f.incoming, 1),
                    self.pack_of[own[f.product_id]],
                ),
            )
            for f in figures
            if f.below_reorder_point
        ]
        if late and not items:
            # The overdue order must exist: reorder the supplier's three emptiest shelves.
            emptiest = sorted(figures, key=lambda f: f.available)[:3]
            items = [OrderItem(f.product_id, max(f.reorder_point, 1)) for f in emptiest]
        if not items:
            return
        expected = self.now.date() + timedelta(days=DEPARTMENTS[department].lead_time_days)
        po = self.controller.add_purchase_order(
            supplier_id=self.supplier_ids[department], expected=expected, items=items
        )
        if not late:
            arrival = datetime.combine(expected, time(9, 30))
            self._at(
                arrival + timedelta(minutes=self.rng.randrange(240)), "receive", (po.id, items)
            )

    def _on_receive(self, data: tuple[int, list[OrderItem]]) -> None:
        po_id, items = data
        result = self.controller.receive(items, purchase_order_id=po_id, note="Delivery")
        for order_id in result.completed_orders:
            if self.rng.random() < 0.8:
                later = timedelta(hours=self.rng.uniform(1, 72))
                self._at(self.now + later, "ship", order_id)


def _price(line: _Line, material: int, variant: int) -> int:
    """A shelf price ending in .99 (or .49 under ten pounds), growing with the size."""
    raw = line.base_cents * (1 + 0.12 * (material % 3)) * (1 + 0.3 * variant)
    pounds = int(raw // 100)
    if pounds == 0:
        return 99
    if pounds < 10 and raw % 100 < 50:
        return pounds * 100 + 49
    return pounds * 100 + 99


def _mailbox(name: str) -> str:
    """``Hartley & Sons Joinery`` -> ``hartley.sons.joinery``; accents dropped."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return ".".join(re.findall(r"[a-z0-9]+", plain))


def _round_up(units: int, pack: int) -> int:
    return -(-units // pack) * pack
