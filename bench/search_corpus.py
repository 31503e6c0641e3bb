"""The search benchmark's data: a deterministic corpus of video documents, the queries
run against it (single words, quoted phrases, typos, filters), the typo maker, and the
naive baseline (a scan of every document's folded text) the engine is compared with."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from videos_app.search.base import Kind, SearchDocument, SearchRequest, Sort, doc_id_for
from videos_app.search.text import edit_distance, parse_query, words_of

# The corpus's "now": every video was published in the two years before it.
NOW = 1_735_689_600  # 2025-01-01
DAY = 86_400
TWO_YEARS = 2 * 365 * DAY
RESULTS = 10
NUMBERS = (3, 5, 7, 10, 15, 20, 30)


def _items(text: str) -> tuple[str, ...]:
    """Space-separated items; an underscore joins the words of one item."""
    return tuple(item.replace("_", " ") for item in text.split())


FILL = {
    "place": _items(
        "Lisbon Kyoto Patagonia Marrakech Reykjavik Hanoi Cusco Tbilisi Zanzibar Dubrovnik "
        "Oaxaca Seville Bergen Hokkaido Tasmania Cappadocia Yosemite Montreal Sardinia "
        "Queenstown Valparaiso Edinburgh Istanbul Jaipur Santorini Banff Porto Ljubljana "
        "Tallinn Cartagena Medellín Bruges Salzburg Kerala Lofoten Mendoza Naples Palermo "
        "Göreme Kraków Zürich Tromsø Đà_Lạt São_Paulo Chiang_Mai Luang_Prabang"
    ),
    "dish": _items(
        "ramen lasagna paella shakshuka risotto pho biryani tacos gnocchi dumplings "
        "croissants sourdough focaccia pierogi goulash tiramisu baklava falafel hummus curry "
        "carbonara empanadas ceviche moussaka bibimbap kimchi brownies pancakes cheesecake "
        "crème_brûlée"
    ),
    "ingredient": _items(
        "garlic mushrooms chickpeas salmon spinach pumpkin tofu lentils eggplant chorizo "
        "halloumi avocado coconut cardamom saffron miso ginger basil zucchini prawns jalapeño"
    ),
    "repair": _items(
        "bike_chain brake_pads derailleur flat_tire leaky_faucet squeaky_door laptop_hinge "
        "phone_screen car_battery dishwasher garage_door ceiling_fan zipper headphone_jack "
        "toilet_flush drywall_crack window_seal bathroom_tiles kitchen_drawer gutter"
    ),
    "game": _items(
        "Minecraft Elden_Ring Zelda Hollow_Knight Stardew_Valley Celeste Factorio Terraria "
        "Hades Skyrim Portal Tetris Fortnite Valorant Cuphead Subnautica Rimworld "
        "Baldur's_Gate Dark_Souls Rocket_League Overwatch Sekiro Starfield Palworld Pokémon"
    ),
    "play": _items(
        "speedrun boss_guide 100%_walkthrough beginner_tips secret_ending hardcore_survival "
        "base_build PvP_montage world_record modded_playthrough"
    ),
    "instrument": _items(
        "guitar piano ukulele violin drums cello saxophone harmonica banjo flute bass "
        "trumpet accordion mandolin"
    ),
    "genre": _items(
        "jazz lofi flamenco bossa_nova blues synthwave bluegrass reggae baroque funk "
        "ambient metal folk techno soul"
    ),
    "technique": _items(
        "chords scales fingerpicking improvisation strumming vibrato arpeggios sight_reading"
    ),
    "gadget": _items(
        "mechanical_keyboard raspberry_pi home_server drone smartwatch espresso_machine "
        "3d_printer gaming_mouse e-reader noise_cancelling_headphones dashcam robot_vacuum"
    ),
    "trip": _items(
        "hostels_and_hiking street_food train_travel where_to_stay what_nobody_tells_you "
        "sunrise_hike local_markets cost_breakdown"
    ),
}


def _parts(*groups: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(group.split("|")) for group in groups)


# topic: (title templates, description sentences, channel name endings), "|" between them
TOPICS = {
    "repair": _parts(
        "How to fix a {repair} in {n} minutes|Fixing a {repair} without special "
        "tools|{repair} repair for beginners|Why your {repair} keeps failing (and the "
        "fix)|Replacing a {repair}: step by step|{gadget} teardown and repair",
        "In this video I show how to sort out a {repair} with basic tools.|You will need "
        "a screwdriver, pliers and about {n} minutes.|Last week my {repair} broke, so "
        "here is what worked for me.",
        "Garage|Fixes|Workshop|DIY",
    ),
    "cooking": _parts(
        "How to make {dish} at home|{dish} with {ingredient} in {n} minutes|The best "
        "{dish} I ate in {place}|Easy {ingredient} {dish} for weeknights|Grandma's {dish}"
        " recipe|{n} mistakes everyone makes with {dish}",
        "Today we cook {dish} with fresh {ingredient}.|Full recipe and shopping list "
        "below; it serves four.|I learned this {dish} in {place} and have made it every "
        "week since.",
        "Kitchen|Eats|Cooks|Bakes",
    ),
    "travel": _parts(
        "{n} days in {place} on a budget|Backpacking {place}: {trip}|Hidden gems of "
        "{place}|First time in {place}, an honest review|Night train to {place}|Street "
        "food tour of {place}",
        "We spent {n} days exploring {place} and the countryside around it.|Everything "
        "about {trip}, with prices at the end.|Filmed in {place}; music by a friend.",
        "Travels|Abroad|Roams|on the Road",
    ),
    "music": _parts(
        "{genre} {instrument} cover|Learn {instrument} {technique} in {n} minutes|{genre}"
        " mix for studying|{n} {instrument} {technique} every beginner should know|Live "
        "{genre} session in {place}|{instrument} lesson: {technique}",
        "A relaxed {genre} session on {instrument}.|Tabs and sheet music for the "
        "{technique} are linked below.|Recorded live in one take.",
        "Music|Sessions|Strings|Keys",
    ),
    "gaming": _parts(
        "{game} {play}|{game}: {play} in {n} minutes|I played {game} for 100 days|{game} "
        "vs {game}: which is better|Is {game} still worth it in 2025|{game} {play} with "
        "no deaths",
        "My {game} {play}, commentary on.|Timestamps: 0:00 intro, {n}:00 the hard "
        "part.|Subscribe for more {game} videos.",
        "Gaming|Plays|Speedruns|Arcade",
    ),
    "tech": _parts(
        "{gadget} review after {n} months|Building a {gadget} setup|{gadget} vs "
        "{gadget}|Is the {gadget} worth it?|{n} things I wish I knew before buying a "
        "{gadget}",
        "Honest thoughts on the {gadget} after daily use.|Not sponsored; I bought it "
        "myself.|Links to everything on my desk below.",
        "Tech|Reviews|Labs",
    ),
}
CHANNEL_FIRSTS = _items(
    "Maria Kenji Sam Priya Olu Lena Tomás Ahmed Chloé Nguyen Rusty Curious Hungry Slow "
    "Wandering Pixel Midnight Tiny Honest Björn Aisha Mateo Yuki Zoë Rafael"
)
CHANNELS = 600
SMALL_WORDS = frozenset(_items("a an and the to of in on for with at by is i my your it"))


@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str
    handle: str
    topic: str


def _fill(template: str, rng: random.Random, chosen: dict, *, reuse: bool) -> str:
    """``template`` with its {names} filled in; ``chosen`` keeps the first value of each
    name, which ``reuse`` takes again (a description speaks of its title's dish)."""
    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1 : end]
        if reuse and name in chosen:
            value = chosen[name]
        else:
            value = str(rng.choice(NUMBERS)) if name == "n" else rng.choice(FILL[name])
            chosen.setdefault(name, value)
        out = out[:start] + value + out[end + 1 :]
    return out


def _channels(rng: random.Random) -> list[Channel]:
    topics = list(TOPICS)
    channels = []
    for number in range(CHANNELS):
        topic = topics[number % len(topics)]
        name = f"{rng.choice(CHANNEL_FIRSTS)} {rng.choice(TOPICS[topic][2])}"
        handle = "".join(words_of(name)) + str(number)
        channels.append(Channel(f"c{number:04d}", name, handle, topic))
    return channels


def _duration(rng: random.Random) -> int:
    bucket = rng.random()
    if bucket < 0.15:
        return rng.randint(15, 60)  # shorts
    if bucket < 0.65:
        return rng.randint(120, 600)
    if bucket < 0.9:
        return rng.randint(600, 1800)
    return rng.randint(1800, 3 * 3600)


def make_corpus(count: int, *, seed: int = 7) -> list[SearchDocument]:
    """``count`` video documents, the same for the same seed."""
    rng = random.Random(seed)
    channels = _channels(rng)
    docs = []
    for number in range(count):
        channel = rng.choice(channels)
        titles, sentences, _ends = TOPICS[channel.topic]
        chosen: dict[str, str] = {}
        title = _fill(rng.choice(titles), rng, chosen, reuse=False)
        title = title[0].upper() + title[1:]
        picked = rng.sample(sentences, k=rng.randint(1, len(sentences)))
        description = " ".join(_fill(s, rng, chosen, reuse=True) for s in picked)
        views = min(int(rng.lognormvariate(6.0, 2.2)), 2_000_000_000)
        docs.append(
            SearchDocument(
                doc_id=doc_id_for(Kind.VIDEO, f"v{number:06d}"),
                kind=Kind.VIDEO,
                title=title,
                description=description,
                channel_id=channel.channel_id,
                channel_name=channel.name,
                handle=channel.handle,
                published_at=NOW - rng.randint(0, TWO_YEARS),
                duration_s=_duration(rng),
                views=views,
                likes=int(views * rng.uniform(0.01, 0.06)),
            )
        )
    return docs


# --- Typos ------------------------------------------------------------------------------

KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours(letter: str) -> str:
    """The keys left and right of ``letter`` on a QWERTY keyboard."""
    for row in KEYBOARD_ROWS:
        at = row.find(letter)
        if at >= 0:
            return row[max(at - 1, 0) : at] + row[at + 1 : at + 2]
    return "e"


def make_typo(word: str, rng: random.Random, *, avoid: frozenset = frozenset()) -> str:
    """``word`` with one slip of the fingers (neighbours swapped, a letter dropped,
    doubled or hit beside), never the first letter, never a word in ``avoid``."""
    if len(word) < 4:
        raise ValueError(f"{word!r} is too short for a typo")
    for _ in range(100):
        at = rng.randrange(1, len(word))
        slip = rng.choice(("swap", "drop", "double", "neighbour"))
        if slip == "swap" and at < len(word) - 1:
            typo = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        elif slip == "drop":
            typo = word[:at] + word[at + 1 :]
        elif slip == "double":
            typo = word[: at + 1] + word[at:]
        else:
            typo = word[:at] + rng.choice(_neighbours(word[at])) + word[at + 1 :]
        if typo != word and typo not in avoid and edit_distance(word, typo, 2) == 1:
            return typo
    raise ValueError(f"no typo found for {word!r}")


# --- Queries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuery:
    group: str  # "word", "phrase", "typo", "filter"
    text: str
    filters: dict = field(default_factory=dict)
    target: str = ""  # typo queries: the document they are after
    exact_text: str = ""  # typo queries: the same words spelt right

    def request(self, *, text: str | None = None) -> SearchRequest:
        return SearchRequest(
            query=parse_query(self.text if text is None else text),
            limit=RESULTS,
            now=NOW,
            **self.filters,
        )


FILTERS = (
    {"min_duration_s": 1200},
    {"max_duration_s": 240},
    {"published_after": NOW - 90 * DAY},
    {"sort": Sort.DATE},
    {"sort": Sort.VIEWS},
    {"kinds": frozenset({Kind.VIDEO}), "published_after": NOW - 365 * DAY},
    {"min_duration_s": 600, "sort": Sort.VIEWS},
    {"max_duration_s": 600, "published_after": NOW - 180 * DAY, "sort": Sort.DATE},
)


def _long_words(title: str, minimum: int = 4) -> list[str]:
    return [w for w in words_of(title) if len(w) >= minimum and not w.isdigit()]


def make_queries(
    docs: list[SearchDocument],
    naive: NaiveIndex,
    *,
    seed: int = 11,
    counts: tuple[int, int, int, int] = (60, 40, 60, 40),
) -> list[BenchQuery]:
    """Single words, quoted phrases, typo'd pairs of a document's rarest title words
    (only pairs that name few documents, so the document is findable at all), and
    words with filters; the same for the same corpus and seed."""
    rng = random.Random(seed)
    words, phrases, typos, filtered = counts
    title_df = Counter(w for doc in docs for w in set(words_of(doc.title)))
    holding = naive.holding()
    vocabulary = frozenset(holding)
    queries: list[BenchQuery] = []
    while len(queries) < words:
        options = _long_words(rng.choice(docs).title)
        if options:
            queries.append(BenchQuery("word", rng.choice(options)))
    while len(queries) < words + phrases:
        title = words_of(rng.choice(docs).title)
        size = rng.choice((2, 3))
        if len(title) < size:
            continue
        start = rng.randrange(0, len(title) - size + 1)
        window = title[start : start + size]
        if "s" in window or all(w in SMALL_WORDS or w.isdigit() for w in window):
            continue
        queries.append(BenchQuery("phrase", '"' + " ".join(window) + '"'))
    while len(queries) < words + phrases + typos:
        doc = rng.choice(docs)
        options = sorted(set(_long_words(doc.title, 5)), key=lambda w: (title_df[w], w))
        if len(options) < 2:
            continue
        pair = options[:2]
        exact = " ".join(pair)
        if len(holding[pair[0]] & holding[pair[1]]) > RESULTS:
            continue  # a quick look at whole words first, then substrings as it matches
        if len(naive.matching(parse_query(exact))) > RESULTS:
            continue
        text = " ".join(make_typo(w, rng, avoid=vocabulary) for w in pair)
        queries.append(BenchQuery("typo", text, target=doc.doc_id, exact_text=exact))
    while len(queries) < words + phrases + typos + filtered:
        options = _long_words(rng.choice(docs).title)
        if not options:
            continue
        text = " ".join(rng.sample(options, k=min(len(options), rng.choice((1, 1, 2)))))
        filters = FILTERS[len(queries) % len(FILTERS)]
        queries.append(BenchQuery("filter", text, filters=dict(filters)))
    return queries


# --- The naive baseline -----------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    doc_id: str
    kind: Kind
    text: str  # title, description and channel name, folded, one space between words
    title: str
    published_at: int
    duration_s: int
    views: int


class NaiveIndex:
    """No index at all: every query scans every document's folded text for each word
    (and phrase) as a substring; ranked by how many of them are in the title, then by
    views. The folding is done once, ahead, in its favour."""

    def __init__(self, docs: list[SearchDocument]):
        self.rows = [
            _Row(
                doc.doc_id,
                doc.kind,
                " ".join(words_of(f"{doc.title} {doc.description} {doc.channel_name}")),
                " ".join(words_of(doc.title)),
                doc.published_at,
                doc.duration_s,
                doc.views,
            )
            for doc in docs
        ]

    def holding(self) -> dict[str, set[int]]:
        """Each word of the corpus: the rows holding it."""
        rows: dict[str, set[int]] = {}
        for number, row in enumerate(self.rows):
            for word in row.text.split():
                rows.setdefault(word, set()).add(number)
        return rows

    def matching(self, query, request: SearchRequest | None = None) -> list[_Row]:
        needles = list(query.terms) + [" ".join(phrase) for phrase in query.phrases]
        if not needles:
            return []
        kinds = request.kinds if request else frozenset()
        after = request.published_after if request else None
        low = request.min_duration_s if request else None
        high = request.max_duration_s if request else None
        found = []
        for row in self.rows:
            if kinds and row.kind not in kinds:
                continue
            if after is not None and row.published_at < after:
                continue
            if low is not None and row.duration_s < low:
                continue
            if high is not None and row.duration_s > high:
                continue
            if all(needle in row.text for needle in needles):
                found.append(row)
        return found

    def search(self, request: SearchRequest) -> list[str]:
        query = request.query
        found = self.matching(query, request)
        if request.sort == Sort.DATE:
            found.sort(key=lambda row: row.published_at, reverse=True)
        elif request.sort == Sort.VIEWS:
            found.sort(key=lambda row: row.views, reverse=True)
        else:
            needles = list(query.terms) + [" ".join(phrase) for phrase in query.phrases]
            found.sort(
                key=lambda row: (sum(n in row.title for n in needles), row.views), reverse=True
            )
        return [row.doc_id for row in found[request.offset : request.offset + request.limit]]


def percentile(values, q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, between neighbours linearly."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
