"""A viewer's search: the engine's ranked ids, every one checked again against DynamoDB
(one BatchGetItem for the page) so nothing private, unlisted, removed, unfinished or
banned is shown, even between a change and its indexing."""

import logging
import time
from dataclasses import dataclass, field

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from videoplatform.storage import media_url
from videos_app.search.base import (
    Hit,
    Kind,
    ParsedQuery,
    SearchRequest,
    SearchUnavailable,
    Sort,
    split_doc_id,
)
from videos_app.search.documents import (
    channel_findable,
    read_items,
    stream_findable,
    video_findable,
)
from videos_app.search.loader import get_search_backend
from videos_app.search.text import excerpt, highlight, parse_query

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
SUGGESTIONS = 8
MAX_OFFSET = 1000

DAY = 86400
UPLOADED = {"hour": 3600, "today": DAY, "week": 7 * DAY, "month": 30 * DAY, "year": 365 * DAY}
DURATIONS = {"short": (None, 4 * 60 - 1), "medium": (4 * 60, 20 * 60), "long": (20 * 60 + 1, None)}
KINDS = {str(kind): kind for kind in Kind}
SORTS = {str(sort): sort for sort in Sort}


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    uploaded: str = ""
    duration: str = ""
    sort: str = str(Sort.RELEVANCE)

    @property
    def active(self) -> bool:
        return bool(self.kind or self.uploaded or self.duration)


def clean_filters(params) -> tuple[Filters, list[str]]:
    """Filters from the query string; an unknown value is dropped with a message."""
    problems = []
    values = {}
    for name, allowed in (
        ("kind", KINDS),
        ("uploaded", UPLOADED),
        ("duration", DURATIONS),
        ("sort", SORTS),
    ):
        value = (params.get(name) or "").strip()
        if value and value not in allowed:
            problems.append(
                _("Unknown filter value “%(value)s” was ignored.") % {"value": value[:40]}
            )
            value = ""
        values[name] = value
    values["sort"] = values["sort"] or str(Sort.RELEVANCE)
    return Filters(**values), problems


def clean_cursor(cursor: str) -> tuple[int, str | None]:
    """A page's offset from its cursor (a plain number); a bad one starts over."""
    if not cursor:
        return 0, None
    if cursor.isdigit() and int(cursor) <= MAX_OFFSET:
        return int(cursor), None
    return 0, _("That page of results is not available; here is the first page.")


@dataclass
class Result:
    kind: Kind
    url_name: str
    url_arg: str
    title: SafeString
    snippet: SafeString
    item: object  # the Video, Channel or LivestreamSession
    channel: object | None = None
    poster_url: str = ""
    avatar_url: str = ""
    views: int = 0


@dataclass
class SearchPage:
    text: str
    query: ParsedQuery
    filters: Filters
    results: list[Result] = field(default_factory=list)
    total: int = 0
    next_cursor: str | None = None
    messages: list[str] = field(default_factory=list)
    unavailable: bool = False


def _checked(hits: list[Hit], query: ParsedQuery, *, prefix_last: bool = False) -> list[Result]:
    """The hits still findable now, in the engine's order, with their items."""
    items = read_items([h.doc_id for h in hits], extra_channel_ids=[h.channel_id for h in hits])
    channels = items[Kind.CHANNEL]
    results = []
    for hit in hits:
        parsed = split_doc_id(hit.doc_id)
        if parsed is None:
            continue
        kind, item_id = parsed
        item = items[kind].get(item_id)
        if item is None:
            continue
        if kind == Kind.VIDEO:
            channel = channels.get(item.channel_id)
            if not video_findable(item, channel):
                continue
            results.append(
                Result(
                    kind, "watch", item.video_id,
                    highlight(item.title, query, prefix_last=prefix_last),
                    highlight(excerpt(item.description or "", query), query),
                    item, channel, media_url(item.poster_key), media_url(channel.avatar_key),
                    hit.views,
                )
            )  # fmt: skip
        elif kind == Kind.CHANNEL:
            if not channel_findable(item):
                continue
            results.append(
                Result(
                    kind, "channel_page", item.handle,
                    highlight(item.name, query, prefix_last=prefix_last),
                    highlight(excerpt(item.description or "", query), query),
                    item, item, "", media_url(item.avatar_key), hit.views,
                )
            )  # fmt: skip
        else:
            channel = channels.get(item.channel_id)
            if not stream_findable(item, channel):
                continue
            results.append(
                Result(
                    kind, "live_page", item.stream_id,
                    highlight(item.title, query, prefix_last=prefix_last),
                    SafeString(""), item, channel, "", media_url(channel.avatar_key),
                )
            )  # fmt: skip
    return results


def search_page(*, text: str, params, cursor: str = "", now: int | None = None) -> SearchPage:
    filters, messages = clean_filters(params)
    offset, problem = clean_cursor(cursor)
    if problem:
        messages.append(problem)
    query = parse_query(text)
    page = SearchPage(text=text.strip(), query=query, filters=filters, messages=messages)
    if query.empty:
        return page
    low, high = DURATIONS.get(filters.duration, (None, None))
    now = int(time.time()) if now is None else now
    request = SearchRequest(
        query=query,
        kinds=frozenset({KINDS[filters.kind]}) if filters.kind else frozenset(),
        published_after=now - UPLOADED[filters.uploaded] if filters.uploaded else None,
        min_duration_s=low,
        max_duration_s=high,
        sort=SORTS[filters.sort],
        offset=offset,
        limit=PAGE_SIZE,
        now=now,
    )
    try:
        found = get_search_backend().search(request)
    except SearchUnavailable as error:
        logger.warning("search unavailable: %s", error)
        page.unavailable = True
        return page
    page.results = _checked(found.hits, query)
    page.total = found.total
    following = offset + PAGE_SIZE
    if following < found.total and following <= MAX_OFFSET and len(found.hits) == PAGE_SIZE:
        page.next_cursor = str(following)
    return page


def suggestions(text: str, *, limit: int = SUGGESTIONS) -> list[Result]:
    """What the header's box offers while someone types: titles starting like the words."""
    query = parse_query(text)
    if not query.terms:
        return []
    try:
        hits = get_search_backend().suggest(query, limit=limit)
    except SearchUnavailable as error:
        logger.warning("search suggestions unavailable: %s", error)
        return []
    return _checked(hits, query, prefix_last=True)
