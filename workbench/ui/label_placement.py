"""Where labels go on a chart so that none covers another label or an entity's icon.

Plain numbers in, rectangles out (no Qt): the chart view measures the text, this module decides
which labels are drawn and where, and the same routine serves the screen, image exports and the
report's chart pages, because all of them draw through the view.

Placement is greedy in priority order (selected, evidence, listed parties, then the most linked),
the method of i2-style and cartographic labelling: each label tries a few spots around its anchor
(below the icon first, as i2 draws it, then above, right, left and the corners) and takes the
first one that is free. A label with no free spot gives way and is not drawn; it comes back when
the analyst zooms in and there is room. Occupancy is kept in a bitmap of the viewport at a coarse
grain (:data:`CELL` pixels a cell, rounded outwards), so a test of a spot is one slice of a
numpy array whatever the number of labels already placed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Pixels per occupancy cell. Rectangles are rounded outwards to whole cells, so two labels
#: that are both placed are never closer than 0 px, and usually 1-2 px apart.
CELL = 2
#: Free space kept between a label and its icon.
GAP = 2.0


@dataclass(frozen=True)
class PlacedLabel:
    """A label drawn in this frame: its text, and where, in viewport pixels (x, y, width, height)."""

    text: str
    kind: str  # "entity" or "link"
    index: int  # node index for an entity label, first link index for a link label
    rect: tuple[float, float, float, float]

    def overlaps(self, other: tuple[float, float, float, float]) -> bool:
        return rects_overlap(self.rect, other)


def rects_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """True when two (x, y, w, h) rectangles share an area (touching edges do not count)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class Occupancy:
    """A coarse bitmap of the viewport: which cells a drawn icon or label already covers."""

    def __init__(self, width: float, height: float):
        self.width, self.height = float(width), float(height)
        self.grid = np.zeros((int(np.ceil(height / CELL)) + 1, int(np.ceil(width / CELL)) + 1), dtype=bool)

    def _cells(self, x: float, y: float, w: float, h: float) -> tuple[int, int, int, int]:
        return (max(int(np.floor(x / CELL)), 0), max(int(np.floor(y / CELL)), 0),
                int(np.ceil((x + w) / CELL)), int(np.ceil((y + h) / CELL)))

    def inside(self, x: float, y: float, w: float, h: float) -> bool:
        return x >= 0 and y >= 0 and x + w <= self.width and y + h <= self.height

    def free(self, x: float, y: float, w: float, h: float) -> bool:
        x0, y0, x1, y1 = self._cells(x, y, w, h)
        return not self.grid[y0:y1, x0:x1].any()

    def take(self, x: float, y: float, w: float, h: float) -> None:
        x0, y0, x1, y1 = self._cells(x, y, w, h)
        self.grid[y0:y1, x0:x1] = True

    def take_squares(self, centres: np.ndarray, sizes: np.ndarray) -> None:
        """Mark many icons at once (square boxes of ``sizes`` px around ``centres``).

        Vectorised with a 2-D difference array: four corner marks per icon and two running sums
        cover every cell of every box, whatever their number (10,000 icons in a few ms).
        """
        if not len(centres):
            return
        rows, columns = self.grid.shape
        half = np.asarray(sizes, dtype=float) / 2
        x0 = np.clip(np.floor((centres[:, 0] - half) / CELL), 0, columns).astype(int)
        x1 = np.clip(np.ceil((centres[:, 0] + half) / CELL), 0, columns).astype(int)
        y0 = np.clip(np.floor((centres[:, 1] - half) / CELL), 0, rows).astype(int)
        y1 = np.clip(np.ceil((centres[:, 1] + half) / CELL), 0, rows).astype(int)
        keep = (x1 > x0) & (y1 > y0)
        x0, x1, y0, y1 = x0[keep], x1[keep], y0[keep], y1[keep]
        marks = np.zeros((rows + 1, columns + 1), dtype=np.int32)
        np.add.at(marks, (y0, x0), 1)
        np.add.at(marks, (y0, x1), -1)
        np.add.at(marks, (y1, x0), -1)
        np.add.at(marks, (y1, x1), 1)
        self.grid |= marks.cumsum(axis=0).cumsum(axis=1)[:rows, :columns] > 0


def entity_spots(x: float, y: float, radius: float, w: float, h: float,
                 far: bool = False) -> list[tuple[float, float]]:
    """Top-left corners to try for a ``w`` x ``h`` label of an icon of ``radius`` at (x, y).

    ``far`` adds spots up to a few lines further out, for labels that must be read (the
    selection, a finding's evidence) when the icons around leave no room close by.
    """
    r = radius + GAP
    spots = [
        (x - w / 2, y + r),              # below, centred (i2's place)
        (x - w / 2, y - r - h),          # above
        (x + r, y - h / 2),              # right
        (x - r - w, y - h / 2),          # left
        (x - r, y + r),                  # below, starting at the icon's left edge
        (x + r - w, y + r),              # below, ending at the icon's right edge
        (x - r, y - r - h),              # above, the same two ways
        (x + r - w, y - r - h),
        (x + r * 0.7, y + r * 0.7),      # below right
        (x - r * 0.7 - w, y + r * 0.7),  # below left
        (x + r * 0.7, y - r * 0.7 - h),  # above right
        (x - r * 0.7 - w, y - r * 0.7 - h),  # above left
        # A little further out, when the icons next to it leave no room close by.
        (x - w / 2, y + r + h * 0.8),
        (x - w / 2, y - r - h * 1.8),
        (x + r + 6, y - h / 2),
        (x - r - 6 - w, y - h / 2),
    ]
    if far:
        for lines in (1.0, 2.0, 3.0, 4.0):
            below, above = y + r + h * lines, y - r - h * (lines + 1)
            for left in (x - w / 2, x - r, x + r - w, x + r, x - r - w):
                spots += [(left, below), (left, above)]
            spots += [(x + r + h * lines, y - h / 2), (x - r - h * lines - w, y - h / 2)]
    return spots


def link_spots(ax: float, ay: float, bx: float, by: float, w: float, h: float) -> list[tuple[float, float]]:
    """Top-left corners to try for a link's label: centred on the line, at its middle first."""
    return [(ax + (bx - ax) * t - w / 2, ay + (by - ay) * t - h / 2) for t in (0.5, 0.38, 0.62, 0.28, 0.72)]


@dataclass
class LabelRequest:
    """One label that would like to be drawn: its text, size in pixels and the spots it may take."""

    text: str
    kind: str
    index: int
    width: float
    height: float
    spots: list[tuple[float, float]]


def place_labels(requests: list[LabelRequest], occupancy: Occupancy) -> list[PlacedLabel]:
    """Place ``requests`` in the order given (highest priority first), each at its first free spot.

    ``occupancy`` already holds the icons; each placed label is added to it. A label with no free
    spot wholly inside the viewport is left out.
    """
    placed = []
    for request in requests:
        w, h = request.width, request.height
        for x, y in request.spots:
            if occupancy.inside(x, y, w, h) and occupancy.free(x, y, w, h):
                occupancy.take(x, y, w, h)
                placed.append(PlacedLabel(request.text, request.kind, request.index, (x, y, w, h)))
                break
    return placed


def count_overlaps(labels: list[PlacedLabel], icons: list[tuple[float, float, float, float]]) -> tuple[int, int]:
    """(label-label, label-icon) overlaps among drawn labels and icon boxes: what tests check."""
    rects = [label.rect for label in labels]
    label_label = sum(rects_overlap(rects[i], rects[j]) for i in range(len(rects)) for j in range(i + 1, len(rects)))
    label_icon = sum(rects_overlap(rect, icon) for rect in rects for icon in icons)
    return label_label, label_icon


__all__ = [
    "CELL",
    "LabelRequest",
    "Occupancy",
    "PlacedLabel",
    "count_overlaps",
    "entity_spots",
    "link_spots",
    "place_labels",
    "rects_overlap",
]
