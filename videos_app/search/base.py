"""The search engine interface and the shapes that cross it.

An engine stores ``SearchDocument``s and answers ``SearchRequest``s with document ids in
ranked order. It never decides who may see what: results are checked again against
DynamoDB before anything is shown (``videos_app.search.results``).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    VIDEO = "video"
    CHANNEL = "channel"
    LIVE = "live"


class Sort(StrEnum):
    RELEVANCE = "relevance"
    DATE = "date"
    VIEWS = "views"


def doc_id_for(kind: Kind, item_id: str) -> str:
    """``video:<id>``, ``channel:<id>`` or ``live:<stream id>``."""
    return f"{kind}:{item_id}"


def split_doc_id(doc_id: str) -> tuple[Kind, str] | None:
    kind, _, item_id = doc_id.partition(":")
    if not item_id or kind not in Kind.__members__.values():
        return None
    return Kind(kind), item_id


class SearchUnavailable(Exception):
    """The engine could not be reached or refused the request; try again later."""


@dataclass(frozen=True)
class SearchDocument:
    """What the engine keeps of one video, channel or live stream."""

    doc_id: str
    kind: Kind
    title: str  # a video's or stream's title, a channel's name
    description: str = ""
    channel_id: str = ""
    channel_name: str = ""
    handle: str = ""
    published_at: int = 0  # a video's publication, a channel's creation, a stream's start
    duration_s: int = 0
    views: int = 0
    likes: int = 0


@dataclass(frozen=True)
class ParsedQuery:
    """A viewer's words, folded to lower-case ASCII: loose terms and quoted phrases."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases

    @property
    def words(self) -> tuple[str, ...]:
        return self.terms + tuple(word for phrase in self.phrases for word in phrase)


@dataclass(frozen=True)
class SearchRequest:
    query: ParsedQuery
    kinds: frozenset = frozenset()  # empty: every kind
    published_after: int | None = None
    min_duration_s: int | None = None
    max_duration_s: int | None = None
    sort: Sort = Sort.RELEVANCE
    offset: int = 0
    limit: int = 20
    now: int = 0  # for freshness in the ranking


@dataclass(frozen=True)
class Hit:
    doc_id: str
    score: float
    channel_id: str = ""
    views: int = 0


@dataclass
class SearchHits:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class IndexStats:
    docs: int
    bytes: int


class SearchBackend(ABC):
    """One engine. ``target`` names an index: None is the live one readers use; a
    rebuild writes to a target of its own until ``swap`` makes it the live one."""

    name: str

    @abstractmethod
    def apply(
        self, *, upserts: list[SearchDocument], deletes: list[str], target: str | None = None
    ) -> None:
        """Add or replace ``upserts`` and remove ``deletes`` (doc ids), visible to
        readers when this returns. Raises SearchUnavailable."""

    @abstractmethod
    def search(self, request: SearchRequest) -> SearchHits:
        """Ids in ranked order. Raises SearchUnavailable."""

    @abstractmethod
    def suggest(self, query: ParsedQuery, *, limit: int) -> list[Hit]:
        """Documents whose title starts like ``query`` (the last word as a prefix)."""

    @abstractmethod
    def rebuild_begin(self) -> str:
        """A new empty index aside from the live one; returns its target name."""

    @abstractmethod
    def rebuild_swap(self, target: str) -> None:
        """Make ``target`` the live index, at once for every reader; drop the old one."""

    @abstractmethod
    def rebuild_abandon(self, target: str) -> None:
        """Forget a rebuild that will not finish."""

    @abstractmethod
    def stats(self) -> IndexStats:
        """The live index's document count and size on disk or in the service."""
