"""What extraction returns: one candidate per place, with the evidence for it.

The evidence is where the place is mentioned (character offsets) and which
incident cue words were found near each mention, with their offsets: enough to
find the passage in the report and review it, without copying the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..columns import names

#: Columns of a candidate row: those of places.csv, then the evidence.
CANDIDATE_COLUMNS = names(optional=False) + ("mentions", "cues")


@dataclass(frozen=True)
class Place:
    """What mentions stand for: a place of places.csv, a city, a country or a facility in a city."""

    name: str
    kind: str  # "known", "city", "country" or "facility"
    address: str = ""
    lat: str = ""
    lon: str = ""
    precision: str = ""
    country: str = ""  # ISO 3166-1 alpha-2 code, when known


@dataclass(frozen=True)
class Span:
    """A word or phrase of the report, as written, and where it is."""

    text: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.text}@{self.start}-{self.end}"


@dataclass(frozen=True)
class Cue:
    """An incident cue word of the report and the type it suggests."""

    tag: str
    span: Span

    def __str__(self) -> str:
        return f"{self.tag} ({self.span})"


@dataclass
class Candidate:
    """One place of the report with all its mentions and the cues found near them."""

    place: Place
    mentions: list[Span] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        """The suggested incident types, in taxonomy order."""
        from ..taxonomy import load_taxonomy

        found = {c.tag for c in self.cues}
        return [tag for tag in load_taxonomy() if tag in found]

    def summary(self) -> str:
        """A neutral note on the evidence; never words of the report but its place names' and cues' tags."""
        n = len(self.mentions)
        return (f"Candidate found by mapgen extract: {n} mention{'s' if n != 1 else ''}; "
                + (f"cues suggest {', '.join(self.tags)}." if self.cues else "no incident cue near it."))

    def row(self, source: str, date: str = "") -> dict[str, str]:
        """The candidate as a row of places.csv plus the evidence columns."""
        return {
            "place": self.place.name, "address": self.place.address, "lat": self.place.lat,
            "lon": self.place.lon, "precision": self.place.precision, "incidents": ";".join(self.tags),
            "date": date, "date_precision": "report" if date else "", "status": "candidate",
            "summary": self.summary(), "source": source, "url": "", "aliases": "",
            "mentions": "; ".join(map(str, self.mentions)), "cues": "; ".join(map(str, self.cues)),
        }


@dataclass
class Extraction:
    """The candidates of one report, in the order of their first mention."""

    lang: str
    candidates: list[Candidate] = field(default_factory=list)
    #: Facility words with no city in reach: not candidates, as there is nothing to geocode.
    unplaced: list[tuple[str, Span]] = field(default_factory=list)

    def rows(self, source: str, date: str = "") -> list[dict[str, str]]:
        return [c.row(source, date) for c in self.candidates]
