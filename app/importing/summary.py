"""An import's outcome in plain sentences, for the command line and the desk alike."""

from __future__ import annotations

from app.importing import ImportPreview

#: Rows listed one by one before the rest are only counted.
SHOWN = 10


def _count(count: int, word: str) -> str:
    return f"{count:,} {word if count == 1 else word + 's'}"


def headline(preview: ImportPreview) -> str:
    """``"plain.csv: Backorder Desk CSV (UTF-8, comma), 3 products."``"""
    file = preview.file
    return (
        f"{file.path.name}: {file.format_label} ({file.encoding}, {file.delimiter}), "
        f"{_count(len(file.rows), 'product')}."
    )


def outcome(preview: ImportPreview) -> str:
    """What was (or would be) written, in one sentence."""
    result = preview.result
    verb = "Would import" if result.dry_run else "Imported"
    parts = [
        f"{len(result.created):,} new",
        f"{len(result.updated):,} updated",
        f"{result.unchanged:,} unchanged",
    ]
    stock = f"{result.units_in:,} units in, {result.units_out:,} out"
    text = f"{verb} {_count(result.good, 'row')}: {', '.join(parts)}; {stock}"
    if result.barcodes_added:
        text += f"; {_count(result.barcodes_added, 'barcode')} linked"
    text += "."
    if result.dry_run:
        text += " Dry run: nothing was written."
    if result.refused:
        text += f" {_count(len(result.refused), 'row')} refused."
    return text


def problem_lines(preview: ImportPreview) -> list[str]:
    """``"line N: what is wrong - what to do"``, one per problem, in file order."""
    return [
        f"line {row.line}: {problem}" for row in preview.result.refused for problem in row.problems
    ]


def other_lines(preview: ImportPreview) -> list[str]:
    """The file's notes, the rows passed over and the rows' notes (the first few)."""
    lines = list(preview.file.notes)
    skipped = preview.file.skipped
    for item in skipped[:SHOWN]:
        lines.append(f"line {item.line}: passed over - {item.why}")
    if len(skipped) > SHOWN:
        lines.append(f"... and {len(skipped) - SHOWN:,} more rows passed over.")
    by_note: dict[str, list[int]] = {}
    for row in preview.file.rows:
        if row.note:
            by_note.setdefault(row.note, []).append(row.line)
    for note, where in by_note.items():
        shown = ", ".join(str(line) for line in where[:SHOWN])
        more = f" and {len(where) - SHOWN:,} more" if len(where) > SHOWN else ""
        label = "line" if len(where) == 1 else "lines"
        lines.append(f"{label} {shown}{more}: {note}")
    return lines
