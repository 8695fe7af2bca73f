"""The timeline's data: dated relationships of a case as sorted numpy arrays, lanes of parties. No Qt.

The timeline view on screen (``workbench.ui.timeline``), the pictures and the case report all
draw from a :class:`TimelineModel`; the report's one leaves out what only protected sources say
(:func:`timeline_model`).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from workbench.analysis.graph import ONGOING_SCHEMATA
from workbench.store import Case

SECONDS_PER_DAY = 86400.0
_EPOCH = np.datetime64("1970-01-01T00:00:00", "s")


def iso_seconds(values: list[str | None]) -> np.ndarray:
    """ISO dates or date-times as seconds since 1970 (NaN where missing), parsed by numpy in one go."""
    texts = [(v[:19].replace(" ", "T") if v else "NaT") for v in values]
    try:
        stamps = np.array(texts, dtype="datetime64[s]")
    except ValueError:
        # A malformed date somewhere: fall back to one at a time, dropping the bad ones.
        stamps = np.array([_one(t) for t in texts], dtype="datetime64[s]")
    seconds = (stamps - _EPOCH).astype("timedelta64[s]").astype(float)
    seconds[np.isnat(stamps)] = np.nan
    return seconds


def _one(text: str):
    try:
        return np.datetime64(text, "s")
    except ValueError:
        return np.datetime64("NaT")


@dataclass
class TimelineModel:
    """Events (relationships with a date) and dated facts of a case, as sorted numpy arrays. No Qt."""

    lanes: list[str] = field(default_factory=list)
    lane_captions: list[str] = field(default_factory=list)
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lane_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    other_lane: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    amounts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kinds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    kind_names: list[str] = field(default_factory=list)
    via: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bars: list[tuple[int, float, float, str]] = field(default_factory=list)

    @classmethod
    def from_case(cls, case: Case, lanes: list[str] | None = None) -> "TimelineModel":
        """Events on the lane of their source party (payer, exporter, owner); ``lanes`` limits to some parties."""
        if not lanes:
            return cls._whole_case(case)
        rows = case.dated_links()
        model = cls()
        wanted = set(lanes) if lanes else None
        lane_index: dict[str, int] = {}
        captions = case.captions()

        def lane(entity_id: str) -> int:
            if entity_id not in lane_index:
                lane_index[entity_id] = len(model.lanes)
                model.lanes.append(entity_id)
                model.lane_captions.append(captions.get(entity_id) or entity_id)
            return lane_index[entity_id]

        events = []
        bar_rows = []
        kinds: dict[str, int] = {}
        for source, target, via, schema, start, end, amount, _caption in rows:
            if wanted is not None and source not in wanted and target not in wanted:
                continue
            owner = source if wanted is None or source in wanted else target
            if schema in ONGOING_SCHEMATA:
                # A period (a stake, a directorship): a bar from its start to its end, or to now.
                bar_rows.append((owner, start, end, schema))
                continue
            kind = kinds.setdefault(schema, len(kinds))
            events.append((lane(owner), lane(target) if target in captions or wanted is None else -1,
                           start, amount or 0.0, kind, via))
        model.kind_names = [name for name, _ in sorted(kinds.items(), key=lambda item: item[1])]
        if events:
            times = iso_seconds([e[2] for e in events])
            order = np.argsort(times, kind="stable")
            model.times = times[order]
            model.lane_of = np.array([e[0] for e in events])[order]
            model.other_lane = np.array([e[1] for e in events])[order]
            model.amounts = np.array([e[3] for e in events], dtype=float)[order]
            model.kinds = np.array([e[4] for e in events])[order]
            model.via = np.array([e[5] for e in events], dtype=object)[order]
            model.offsets = same_time_offsets(model.times, model.lane_of)
        latest = float(np.nanmax(model.times)) if len(model.times) else None
        for owner, start, end, schema in bar_rows:
            start_s, end_s = iso_seconds([start, end])
            if np.isnan(start_s):
                continue
            if np.isnan(end_s):
                end_s = max(latest or start_s, start_s)  # ongoing: up to the latest event on the timeline
            model.bars.append((lane(owner), start_s, end_s, schema))
        return model

    @classmethod
    def _whole_case(cls, case: Case) -> "TimelineModel":
        """Every party's lane, in one streamed pass over the dated links: each event kept as a few
        numbers (its lanes, amount, kind) and its date and link id, never as a row; the captions
        of the parties on them only (not every entity's); dates parsed in numpy calls. The same
        model as the lane-limited path of :meth:`from_case`, lane for lane."""
        model = cls()
        # Lanes in the order the parties first come: an event's payer then payee, then the
        # owners of periods (as the lane-limited path numbers them).
        lane_index: dict[str, int] = {}
        captions: dict[str, str | None] = {}
        kinds: dict[str, int] = {}
        dates: dict[str, int] = {}  # each distinct date once: events on the same day share it
        date_of = array("q")
        lane_of, other_lane, amounts, kind_of = array("q"), array("q"), array("d"), array("q")
        vias: list[str] = []
        periods = []
        for source, target, via, schema, start, end, amount, source_caption, target_caption in case.dated_links(
                target_captions=True, stream=True):
            captions[source] = source_caption
            captions[target] = target_caption
            if schema in ONGOING_SCHEMATA:
                periods.append((source, start, end, schema))
                continue
            lane_of.append(lane_index.setdefault(source, len(lane_index)))
            other_lane.append(lane_index.setdefault(target, len(lane_index)))
            date_of.append(dates.setdefault(start, len(dates)))
            amounts.append(amount or 0.0)
            kind_of.append(kinds.setdefault(schema, len(kinds)))
            vias.append(via)
        period_starts = iso_seconds([row[1] for row in periods])
        period_ends = iso_seconds([row[2] for row in periods])
        drawn = ~np.isnan(period_starts)
        for row, ok in zip(periods, drawn):
            if ok:
                lane_index.setdefault(row[0], len(lane_index))
        model.lanes = list(lane_index)
        model.lane_captions = [captions.get(party) or party for party in model.lanes]
        del captions
        model.kind_names = list(kinds)
        if date_of:
            times = iso_seconds(list(dates))[np.frombuffer(date_of, dtype=np.int64)]
            sort = np.argsort(times, kind="stable")
            model.times = times[sort]
            model.lane_of = np.frombuffer(lane_of, dtype=np.int64)[sort]
            model.other_lane = np.frombuffer(other_lane, dtype=np.int64)[sort]
            model.amounts = np.frombuffer(amounts, dtype=float)[sort]
            model.kinds = np.frombuffer(kind_of, dtype=np.int64)[sort]
            model.via = np.array(vias, dtype=object)[sort]
            model.offsets = same_time_offsets(model.times, model.lane_of)
        latest = float(np.nanmax(model.times)) if len(model.times) else None
        for row, start_s, end_s, ok in zip(periods, period_starts, period_ends, drawn):
            if not ok:
                continue
            if np.isnan(end_s):
                end_s = max(latest or start_s, start_s)  # ongoing: up to the latest event on the timeline
            model.bars.append((lane_index[row[0]], start_s, end_s, row[3]))
        return model

    def in_range(self, start: float, end: float) -> slice:
        """The events between two times, as a slice of the sorted arrays (two binary searches)."""
        return slice(int(np.searchsorted(self.times, start, "left")), int(np.searchsorted(self.times, end, "right")))

    def histogram(self, start: float, end: float, bins: int) -> tuple[np.ndarray, np.ndarray]:
        edges = np.linspace(start, end, bins + 1)
        positions = np.searchsorted(self.times, edges)
        return edges, np.diff(positions)


def same_time_offsets(times: np.ndarray, lanes: np.ndarray) -> np.ndarray:
    """Spread events that share a lane and a moment so each stays visible and clickable."""
    offsets = np.zeros(len(times))
    if not len(times):
        return offsets
    key = lanes.astype(np.int64) * 10**11 + np.nan_to_num(times).astype(np.int64)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    sizes = np.diff(np.r_[starts, len(key)])
    rank = np.arange(len(key)) - np.repeat(starts, sizes)
    group = np.repeat(sizes, sizes)
    # Centred on the lane, at most 0.4 of a lane either way however many share the moment.
    step = np.minimum(0.09, 0.8 / np.maximum(group - 1, 1))
    offsets[order] = (rank - (group - 1) / 2) * step
    return offsets


def timeline_model(case, *, leave_out: set[str] | frozenset[str] = frozenset(),
                   captions: dict[str, str] | None = None) -> TimelineModel:
    """The case's timeline, less the events and periods formed by, or on a lane of, ``leave_out``.

    A report leaves out what only protected sources say; ``captions`` replaces lane names (for
    parties whose name as the report may show it differs from the case's caption).
    """
    full = TimelineModel.from_case(case)
    if not leave_out and not captions:
        return full
    leave_out = set(leave_out)
    keep_lane = np.array([lane not in leave_out for lane in full.lanes] + [True], dtype=bool)  # [-1] = no lane
    keep = np.ones(len(full.times), dtype=bool)
    if len(full.times):
        keep = (keep_lane[full.lane_of] & keep_lane[full.other_lane]
                & ~np.isin(full.via.astype(str), sorted(leave_out)))
    times = full.times[keep]
    latest = float(np.nanmax(times)) if len(times) and not np.isnan(times).all() else None
    bars = []
    for owner, _target, via, schema, start, end, _amount, _caption in case.dated_links():
        if schema not in ONGOING_SCHEMATA or owner in leave_out or via in leave_out:
            continue
        start_s, end_s = iso_seconds([start, end])
        if np.isnan(start_s):
            continue
        if np.isnan(end_s):
            end_s = max(latest or start_s, start_s)  # ongoing, as the screen draws it
        bars.append((owner, float(start_s), float(end_s), schema))
    used = set(full.lane_of[keep].tolist()) | {i for i in full.other_lane[keep].tolist() if i >= 0}
    lanes = [lane for i, lane in enumerate(full.lanes) if i in used]
    lanes += [owner for owner, *_ in bars if owner not in lanes and owner in full.lanes]
    lanes = list(dict.fromkeys(lanes))
    index = {lane: i for i, lane in enumerate(lanes)}
    renumber = np.array([index.get(lane, -1) for lane in full.lanes] + [-1], dtype=int)
    names = dict(zip(full.lanes, full.lane_captions))
    model = TimelineModel()
    model.lanes = lanes
    model.lane_captions = [(captions or {}).get(lane) or names.get(lane, lane) for lane in lanes]
    if len(times):
        model.times = times
        model.lane_of = renumber[full.lane_of[keep]]
        model.other_lane = renumber[full.other_lane[keep]]
        model.amounts = full.amounts[keep]
        model.kinds = full.kinds[keep]
        model.via = full.via[keep]
        model.offsets = same_time_offsets(model.times, model.lane_of)
        model.kind_names = [name for k, name in enumerate(full.kind_names) if (model.kinds == k).any()]
        remap = {full.kind_names.index(name): k for k, name in enumerate(model.kind_names)}
        model.kinds = np.array([remap[k] for k in model.kinds], dtype=int)
    model.bars = [(index[owner], start, end, schema) for owner, start, end, schema in bars if owner in index]
    return model


__all__ = ["SECONDS_PER_DAY", "TimelineModel", "iso_seconds", "same_time_offsets", "timeline_model"]
