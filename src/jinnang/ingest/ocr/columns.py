"""Column blocks: runs of a page's text rows that share a blank gutter and read as columns.

A recursive XY-cut that cuts at every blank row band first reads side-by-side
columns line by line (left, right, left …) whenever their line gaps are wide,
and one that cuts at the widest vertical blank first reads a label/value table
column by column. So rows are cut first, as for tables, and then consecutive
rows are regrouped: a run of rows whose whitespace leaves one common vertical
gutter is a block of text columns, read one column to its end before the
next, when both sides are columns of some width and length, no ruled line
crosses the gutter (a ruled table) and the rows are not a grid of fields set
two to a row. Rows on one side only that follow a wide gap are text below the
columns. Geometry only, so it holds for any engine.
"""
from __future__ import annotations

from statistics import median

from jinnang.ingest.ocr.fragments import Fragment

# lengths are in units of the page's median text height
GUTTER = 2.0  # a blank at least this wide, down a run of rows, separates two columns
MIN_LINES = 2  # lines on each side ...
MIN_RUN_LINES = 6  # ... and in all: a few strings side by side are a signature block, read row by row
ALIGNED = 0.25  # lines whose tops differ by less than this share a row of a grid
INDENT = 1.0  # strings starting this much further in than others on their side are indented text
SIDE_WIDTH = 7.0  # a column of text is at least this wide (a table's label column is narrower)
TRAILING_GAP = 2.5  # a row on one side only, after a gap this many times the run's usual one, is below
# the columns (a section heading inside a column leaves less)

Stretch = tuple[float, float]
Rule = tuple[float, float, float]


def blank_stretches(items: list[Fragment], lo: float, hi: float) -> list[Stretch]:
    """The x-stretches of lo..hi that no item covers (margins included)."""
    out: list[Stretch] = []
    reach = lo
    for x0, x1 in sorted((f.box[0], f.box[2]) for f in items):
        if x0 > reach:
            out.append((reach, x0))
        reach = max(reach, x1)
    if hi > reach:
        out.append((reach, hi))
    return out


def _common(a: list[Stretch], b: list[Stretch], min_width: float) -> list[Stretch]:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= min_width:
                out.append((lo, hi))
    return out


def _sides(rows: list[list[Fragment]], gutter: Stretch) -> tuple[list[Fragment], list[Fragment]]:
    items = [f for row in rows for f in row]
    return [f for f in items if f.box[2] <= gutter[0]], [f for f in items if f.box[0] >= gutter[1]]


def _side_is_text(side: list[Fragment], unit: float) -> bool:
    if len(side) < MIN_LINES:
        return False
    extent = max(f.box[2] for f in side) - min(f.box[0] for f in side)
    return extent >= SIDE_WIDTH * unit


def _flush_left(side: list[Fragment], unit: float) -> bool:
    """Every string starts at one x: field cells do; running text indents its wrapped lines and
    numbered items, so a side whose lines start at different places is text, however aligned."""
    starts = [f.box[0] for f in side]
    return max(starts) - min(starts) <= INDENT * unit


def _field_grid(rows: list[list[Fragment]], gutter: Stretch, unit: float) -> bool:
    """Every row one string on each side, top-aligned, each side flush left: fields laid out two to
    a row (医院：… 科室：…), which are read row by row. Columns of text drift apart at headings and
    wrapped lines, or — when their rows happen to line up — indent their wrapped lines."""
    for row in rows:
        left, right = _sides([row], gutter)
        if len(left) != 1 or len(right) != 1 or abs(left[0].box[1] - right[0].box[1]) > ALIGNED * unit:
            return False
    left, right = _sides(rows, gutter)
    return _flush_left(left, unit) and _flush_left(right, unit)


def _ruled_across(horizontal: list[Rule] | None, gutter: Stretch, top: float, bottom: float, unit: float) -> bool:
    """A horizontal rule inside top..bottom that crosses the gutter: ruled table rows. Pieces of
    one rule (broken where a stamp or a crossing stroke was wiped) count as one."""
    pieces = sorted((y, x0, x1) for y, x0, x1 in horizontal or () if top <= y <= bottom)
    merged: list[list[float]] = []
    for y, x0, x1 in pieces:
        for rule in merged:
            if abs(rule[0] - y) <= 0.2 * unit and x0 <= rule[2] + unit and x1 >= rule[1] - unit:
                rule[1], rule[2] = min(rule[1], x0), max(rule[2], x1)
                break
        else:
            merged.append([y, x0, x1])
    return any(x0 < gutter[0] and x1 > gutter[1] for _, x0, x1 in merged)


def _trim_trailing(rows: list[list[Fragment]], gutter: Stretch, horizontal: list[Rule] | None,
                   unit: float) -> int:
    """How many rows of the run to keep: a row on one side only that follows a much wider gap than
    the run's usual one, or a ruled line across the gutter, is below the columns (a signature
    line), not the end of a column."""
    def two_sided(row: list[Fragment]) -> bool:
        return any(f.box[2] <= gutter[0] for f in row) and any(f.box[0] >= gutter[1] for f in row)

    paired = [i for i, row in enumerate(rows) if two_sided(row)]
    if not paired:
        return 0  # the sides never share a row: one below the other, not side by side
    last_two_sided = paired[-1]
    # the usual blank between one line and the next inside a column, where both columns run
    gaps = []
    for side in _sides(rows[:last_two_sided + 1], gutter):
        lines = sorted(side, key=lambda f: f.box[1])
        gaps += [b.box[1] - a.box[3] for a, b in zip(lines, lines[1:]) if b.box[1] > a.box[3]]
    usual = max(median(gaps) if gaps else unit, 0.2 * unit)
    keep = last_two_sided + 1
    while keep < len(rows):
        above, below = max(f.box[3] for f in rows[keep - 1]), min(f.box[1] for f in rows[keep])
        if below - above > TRAILING_GAP * usual or _ruled_across(horizontal, gutter, above, below, unit):
            break
        keep += 1
    return keep


def _columns_of(rows: list[list[Fragment]], gutters: list[Stretch], unit: float,
                horizontal: list[Rule] | None) -> tuple[int, Stretch] | None:
    """(rows kept, gutter) when the run reads as text columns, else None."""
    for gutter in sorted(gutters, key=lambda g: g[1] - g[0], reverse=True):
        left, right = _sides(rows, gutter)
        if not left or not right:
            continue
        keep = _trim_trailing(rows, gutter, horizontal, unit)
        if not keep:
            continue
        top = min(f.box[1] for row in rows[:keep] for f in row)
        bottom = max(f.box[3] for row in rows[:keep] for f in row)
        left, right = _sides(rows[:keep], gutter)
        if _side_is_text(left, unit) and _side_is_text(right, unit) and len(left) + len(right) >= MIN_RUN_LINES \
                and not _ruled_across(horizontal, gutter, top, bottom, unit) and not _field_grid(rows[:keep], gutter, unit):
            return keep, gutter
    return None


def column_blocks(rows: list[list[Fragment]], unit: float, horizontal: list[Rule] | None = None,
                  ) -> list[tuple[list[Fragment], Stretch | None]]:
    """The rows of a region (top down) regrouped into blocks: (items, gutter) for a block of
    text columns, (items, None) for a row read as before."""
    x_lo = min(f.box[0] for row in rows for f in row)
    x_hi = max(f.box[2] for row in rows for f in row)
    blanks = [blank_stretches(row, x_lo, x_hi) for row in rows]
    out: list[tuple[list[Fragment], Stretch | None]] = []
    i = 0
    while i < len(rows):
        found = None
        gutters = [g for g in blanks[i] if g[1] - g[0] >= GUTTER * unit]
        ends = []
        for j in range(i + 1, len(rows)):
            gutters = _common(gutters, blanks[j], GUTTER * unit)
            if not gutters:
                break
            ends.append((j + 1, gutters))
        for end, candidates in reversed(ends):  # the longest run that reads as columns
            found = _columns_of(rows[i:end], candidates, unit, horizontal)
            if found:
                break
        if found:
            keep, gutter = found
            out.append(([f for row in rows[i:i + keep] for f in row], gutter))
            i += keep
        else:
            out.append((rows[i], None))
            i += 1
    return out
