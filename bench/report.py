"""The benchmark report: figures as min/median/max over repeats, goals met or by how much short."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Goal:
    """A target for a figure's median: `value >= target` (higher) or `value <= target` (lower)."""

    target: float
    higher_is_better: bool
    text: str  # how the goal reads in the report, e.g. ">= 0.85"
    strict: bool = False  # `<` / `>` instead of `<=` / `>=`

    def met(self, value: float) -> bool:
        if self.higher_is_better:
            return value > self.target if self.strict else value >= self.target
        return value < self.target if self.strict else value <= self.target

    def verdict(self, value: float, unit: str = "") -> str:
        if self.met(value):
            return "met"
        gap = abs(value - self.target)
        rel = f", {100 * gap / self.target:.0f}%" if self.target else ""
        return f"**short by {fmt(gap)}{unit}{rel}**"


def fmt(value: float | None) -> str:
    """A number with as many digits as it deserves."""
    if value is None:
        return "-"
    if isinstance(value, int) or (abs(value) >= 100 and float(value).is_integer()):
        return f"{int(value):,}"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if a >= 1:
        return f"{value:.2f}"
    if a == 0:
        return "0"
    return f"{value:.3f}"


@dataclass
class Figure:
    """One measured quantity over repeated runs."""

    name: str
    values: list[float]
    unit: str = ""
    goal: Goal | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cells(self) -> list[str]:
        v = self.values
        unit = f" {self.unit}" if self.unit else ""
        stats = (
            f"{fmt(min(v))} / **{fmt(self.median)}** / {fmt(max(v))}"
            if len(v) > 1
            else f"**{fmt(v[0])}** (1 run)"
        )
        goal = self.goal.text if self.goal else ""
        verdict = self.goal.verdict(self.median, unit) if self.goal else ""
        return [self.name, stats + unit, goal, verdict, self.note]


@dataclass
class Section:
    """A part of the report: a table of figures, free text, and notes."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # markdown blocks before the figures
    notes: list[str] = field(default_factory=list)  # bullets after the figures
    skipped: str | None = None  # why the section could not be measured

    def render(self) -> str:
        out = [f"## {self.title}", ""]
        if self.skipped:
            out += [f"**Not measured:** {self.skipped}", ""]
        for block in self.text:
            out += [block, ""]
        if self.figures:
            out += [
                "| figure | min / **median** / max | goal | verdict | note |",
                "| --- | --- | --- | --- | --- |",
            ]
            for f in self.figures:
                out.append("| " + " | ".join(c.replace("|", "\\|") for c in f.cells()) + " |")
            out.append("")
        for note in self.notes:
            out.append(f"- {note}")
        if self.notes:
            out.append("")
        return "\n".join(out)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def goals_summary(sections: list[Section]) -> Section:
    """Every figure with a goal, in one table: the closing summary."""
    summary = Section("Goals")
    rows = []
    for s in sections:
        for f in s.figures:
            if f.goal:
                unit = f" {f.unit}" if f.unit else ""
                rows.append(
                    [
                        f"{f.name} ({s.title.split(':')[0]})",
                        f"{fmt(f.median)}{unit}",
                        f.goal.text,
                        f.goal.verdict(f.median, unit),
                    ]
                )
        if s.skipped:
            rows.append([f"{s.title}", "not measured", "", s.skipped])
    summary.text.append(table(["figure", "median", "goal", "verdict"], rows))
    return summary
