"""Search benchmark: the local engine (tantivy) on 20,000 generated videos, beside a
naive scan of the same documents, and the delay from publishing a video to finding it.

    python -m bench search [-- --docs 2000 --publishes 2]

- Indexing: documents built in memory (`bench.search_corpus`), `apply` in batches into
  an index in a temporary folder: documents per second over the whole corpus, and the
  index's size on disk per 1,000 videos. This is the engine's own speed; the worker's
  DynamoDB reads are not in it.
- Queries: 200 (60 single words, 40 quoted phrases, 60 typo'd pairs of a video's rarest
  title words, 40 words with filters or another order), each timed once after a warm-up
  round; p50/p95 beside the naive scan's on the same queries. Recall@10 on the typo
  queries: how often the video they are after is in the first 10, for both (and on the
  same words spelt right, as a control).
- Publish to findable, end to end: the bench's own DynamoDB Local and SeaweedFS, a real
  `manage.py search_worker` with its own index folder, and videos published the way the
  app does; from just before `video_publish` until a reader in this process (reloading
  every 0.05 s) finds the video by a word of its title.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench.results import REPO_ROOT, record
from bench.search_corpus import NaiveIndex, make_corpus, make_queries, percentile

DOCS = 20_000
BATCH = 1_000
GROUPS = ("word", "phrase", "typo", "filter")
FINDABLE_TIMEOUT_S = 30.0
WORKER_START_TIMEOUT_S = 90.0


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench search")
    parser.add_argument("--docs", type=int, default=DOCS, help="videos in the corpus")
    parser.add_argument("--batch", type=int, default=BATCH, help="documents per apply")
    parser.add_argument("--publishes", type=int, default=5, help="videos published end to end")
    parser.add_argument(
        "--poll", type=float, default=0.2, help="the search worker's --poll (seconds)"
    )
    parser.add_argument("--skip-publish", action="store_true", help="no servers, no worker")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _timed(search, requests) -> tuple[list[float], list]:
    """Each request once: (seconds each took, what each returned)."""
    took, answers = [], []
    for request in requests:
        started = time.perf_counter()
        answer = search(request)
        took.append(time.perf_counter() - started)
        answers.append(answer)
    return took, answers


def _recall(queries, answers) -> float:
    pairs = [(q, a) for q, a in zip(queries, answers, strict=True) if q.group == "typo"]
    return sum(q.target in a for q, a in pairs) / len(pairs) if pairs else 0.0


def _engine_ids(backend):
    def search(request) -> list[str]:
        return [hit.doc_id for hit in backend.search(request).hits]

    return search


def engine_figures(options: argparse.Namespace) -> dict:
    from videos_app.search.tantivy_backend import TantivyBackend

    started = time.monotonic()
    docs = make_corpus(options.docs, seed=options.seed)
    naive = NaiveIndex(docs)
    queries = make_queries(docs, naive, seed=options.seed + 4)
    print(
        f"corpus: {len(docs)} videos, {len(queries)} queries "
        f"({', '.join(f'{sum(q.group == g for q in queries)} {g}' for g in GROUPS)}), "
        f"made in {time.monotonic() - started:.1f} s"
    )
    figures: dict = {"search_corpus_docs": len(docs)}
    with tempfile.TemporaryDirectory(prefix="search-bench-") as root:
        writer = TantivyBackend(root)
        started = time.perf_counter()
        for at in range(0, len(docs), options.batch):
            writer.apply(upserts=docs[at : at + options.batch], deletes=[])
        index_s = time.perf_counter() - started
        stats = writer.stats()
        assert stats.docs == len(docs), stats
        figures["search_index_docs_per_s"] = round(len(docs) / index_s, 1)
        figures["search_index_mb_per_1000"] = round(stats.bytes / 1e6 / len(docs) * 1000, 3)
        print(
            f"indexed {len(docs)} documents in {index_s:.2f} s, batches of {options.batch}: "
            f"{figures['search_index_docs_per_s']:.0f} docs/s; index {stats.bytes / 1e6:.1f} MB"
        )

        reader = TantivyBackend(root)  # as a web process reads: reloading every 0.5 s
        search = _engine_ids(reader)
        requests = [q.request() for q in queries]
        _timed(search, requests)  # warm-up
        engine_s, engine_answers = _timed(search, requests)
        _timed(naive.search, requests[:20])  # warm-up
        naive_s, naive_answers = _timed(naive.search, requests)
        typos = [q for q in queries if q.group == "typo"]
        exact = [q.request(text=q.exact_text) for q in typos]
        _, engine_exact = _timed(search, exact)
        _, naive_exact = _timed(naive.search, exact)

    for name, took in (("", engine_s), ("_naive", naive_s)):
        figures[f"search_p50_ms{name}"] = _ms(percentile(took, 50))
        figures[f"search_p95_ms{name}"] = _ms(percentile(took, 95))
    figures["search_p95_ratio_to_naive"] = round(
        figures["search_p95_ms"] / figures["search_p95_ms_naive"], 4
    )
    figures["search_typo_recall10"] = round(_recall(queries, engine_answers), 3)
    figures["search_typo_recall10_naive"] = round(_recall(queries, naive_answers), 3)
    figures["search_exact_recall10"] = round(_recall(typos, engine_exact), 3)
    figures["search_exact_recall10_naive"] = round(_recall(typos, naive_exact), 3)
    figures["search_engine_no_results"] = sum(not a for a in engine_answers)

    print()
    print(f"{'queries':<16}{'engine p50':>12}{'p95':>10}{'naive p50':>12}{'p95':>10}")
    for group in (*GROUPS, "all"):
        picked = [i for i, q in enumerate(queries) if group in ("all", q.group)]
        row = [
            percentile([took[i] for i in picked], q)
            for took in (engine_s, naive_s)
            for q in (50, 95)
        ]
        print(
            f"{group + f' ({len(picked)})':<16}{_ms(row[0]):>10.2f}ms{_ms(row[1]):>8.2f}ms"
            f"{_ms(row[2]):>10.2f}ms{_ms(row[3]):>8.2f}ms"
        )
    print(
        f"p95 ratio engine/naive: {figures['search_p95_ratio_to_naive']:.3f} "
        f"(naive: {figures['search_p95_ms_naive'] / figures['search_p95_ms']:.1f}x slower)"
    )
    print(
        f"recall@10 on {len(typos)} typo queries: engine {figures['search_typo_recall10']:.0%}, "
        f"naive {figures['search_typo_recall10_naive']:.0%}; the same words spelt right: "
        f"engine {figures['search_exact_recall10']:.0%}, "
        f"naive {figures['search_exact_recall10_naive']:.0%}"
    )
    return figures


# --- Publish to findable ----------------------------------------------------------------


def _wait_findable(reader, word: str, doc_id: str, timeout_s: float) -> float | None:
    """Seconds until ``reader`` finds ``doc_id`` by ``word``, None after ``timeout_s``."""
    from videos_app.search.base import SearchRequest
    from videos_app.search.text import parse_query

    request = SearchRequest(query=parse_query(word), limit=5)
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if any(hit.doc_id == doc_id for hit in reader.search(request).hits):
            return time.monotonic() - started
        time.sleep(0.005)
    return None


def _start_worker(search_path: str, poll: float, log) -> subprocess.Popen:
    env = dict(os.environ, SEARCH_PATH=search_path, SEARCH_BACKEND="tantivy")
    command = [sys.executable, "manage.py", "search_worker", "--poll", str(poll)]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop_worker(worker: subprocess.Popen) -> int:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            return worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            return worker.wait()
    return worker.returncode


def publish_figures(options: argparse.Namespace) -> dict:
    from bench.stack import django_with_stack

    django_with_stack()
    import secrets

    from conftest import make_channel, make_user
    from videos_app import services as video_services
    from videos_app.models import Video, VideoStatus
    from videos_app.search.base import Kind, doc_id_for
    from videos_app.search.tantivy_backend import TantivyBackend
    from videos_app.selectors import video_get
    from videos_app.tests.factories import start_upload

    delays: list[float] = []
    with tempfile.TemporaryDirectory(prefix="search-worker-") as search_path:
        log_path = os.path.join(search_path, "worker.log")
        with open(log_path, "w", encoding="utf-8") as log:
            worker = _start_worker(os.path.join(search_path, "index"), options.poll, log)
        print(f"\nsearch worker pid {worker.pid}: manage.py search_worker --poll {options.poll}")
        reader = TantivyBackend(os.path.join(search_path, "index"), reload_s=0.05)
        try:
            owner = make_user()
            marker = "chan" + secrets.token_hex(4)
            started = time.monotonic()
            channel = make_channel(owner=owner, name=f"Findable {marker}")
            ready = _wait_findable(
                reader,
                marker,
                doc_id_for(Kind.CHANNEL, channel.channel_id),
                WORKER_START_TIMEOUT_S,
            )
            if ready is None:
                raise RuntimeError(f"the worker indexed nothing; see {log_path}")
            print(
                f"worker up: its first document (the channel) findable after "
                f"{time.monotonic() - started:.1f} s, start-up included (not counted)"
            )
            for number in range(options.publishes):
                word = "pub" + secrets.token_hex(4)
                video, _ = start_upload(actor=owner, channel=channel, title=f"Upload {word}")
                video.update(
                    actions=[
                        Video.status.set(str(VideoStatus.PROCESSING)),
                        Video.job_id.set("job-ready"),
                    ]
                )
                video = video_get(video.video_id, consistent=True)
                outputs = {
                    "playlist_key": f"hls/{video.video_id}/master.m3u8",
                    "renditions": ["360p"],
                }
                started = time.monotonic()
                assert video_services.video_publish(video=video, outputs=outputs)
                found = _wait_findable(
                    reader,
                    word,
                    doc_id_for(Kind.VIDEO, video.video_id),
                    FINDABLE_TIMEOUT_S - (time.monotonic() - started),
                )
                if found is None:
                    raise RuntimeError(
                        f"video {number + 1} not findable after "
                        f"{FINDABLE_TIMEOUT_S:.0f} s; see {log_path}"
                    )
                delays.append(time.monotonic() - started)
                print(f"  video {number + 1}: findable {delays[-1]:.3f} s after publishing")
        finally:
            code = _stop_worker(worker)
            with open(log_path, encoding="utf-8") as log:
                said = log.read().strip().splitlines()
            print(f"worker stopped (exit {code}): {said[-1] if said else 'no output'}")
    return {
        "search_publish_to_findable_s": round(statistics.median(delays), 3),
        "search_publish_to_findable_max_s": round(max(delays), 3),
        "search_worker_poll_s": options.poll,
    }


def main(argv: list[str]) -> dict:
    options = _options(argv)
    figures = engine_figures(options)
    if not options.skip_publish and options.publishes > 0:
        figures.update(publish_figures(options))
    print()
    print(f"{'figure':<38}{'value':>12}")
    for key in sorted(figures):
        print(f"{key:<38}{figures[key]:>12}")
    print(
        "\nIndexing throughput is the engine's alone (documents built in memory); publish to "
        "findable covers the whole path (DynamoDB write -> pending-index queue -> worker -> "
        "engine -> reader)."
    )
    return record(**figures)
