"""Web benchmark: the site's pages under gunicorn with the production settings, on the
bench's own DynamoDB Local and SeaweedFS, loaded by Debian's wrk on loopback.

    python -m bench web [-- --seconds 5 --rounds 3]

- Load: 2 gthread workers x 4 threads (`bench.web_server`), 8 connections, each page
  for `--seconds` per round, `--rounds` rounds; requests/s and p99 of each page as a
  ratio to a bare view through the same middleware in the same round, median over the
  rounds (`bench.web_load`). Pages: the watch page (50 comments, signed in), home, the
  channel page, the VOD rendition playlist the player fetches (10 minutes), the bell
  (signed in, 1,000 unread notifications).
- AWS requests per page view (DynamoDB and S3), counted in-process with the Django test
  client against the same servers, once warm (`bench.web_calls`): the watch page at 5
  and 300 comments, the bell at 5 and 1,000 notifications, and every loaded page.
- Playlist serving time over gunicorn: median of sequential requests for a 10-minute
  and a 2-hour video's rendition playlist, after a warm-up.
- Worker RSS: the largest gunicorn worker's VmRSS after the run.

Data (`bench.web_seed`) goes in through the services. The targets are printed beside
the figures; the figures land in .bench/results.json whatever they are.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time

from bench.results import record
from bench.stack import django_with_stack
from bench.web_calls import AwsCalls, page_calls
from bench.web_load import (
    BARE_PATH,
    BASELINE,
    LoadRun,
    PageFigures,
    Wrk,
    page_figures,
    ratio,
    wrk_version,
)
from bench.web_server import (
    PRODUCTION_HASHERS,
    PROXY_HEADERS,
    THREADS,
    WORKERS,
    Gunicorn,
    production_env,
    rss_mb,
    sign_in,
)

RPS_TARGETS = {"watch": 0.25, "home": 0.4, "channel": 0.4, "playlist": 0.4, "bell": 0.4}
P99_TARGETS = {"watch": 5.0}
PLAYLIST_RATIO_TARGET = 1.5
RSS_TARGET_MB = 150
WARM_UP_S = 1


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench web")
    parser.add_argument("--seconds", type=float, default=5, help="wrk run per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--playlist-requests", type=int, default=20, help="timed requests per playlist"
    )
    return parser.parse_args(argv)


def _count_calls(data) -> dict[str, AwsCalls]:
    """AWS requests per page view, in-process against the same servers."""
    from django.test import Client
    from django.test.utils import override_settings

    def signed_in(user) -> Client:
        client = Client(HTTP_HOST="127.0.0.1")
        response = client.post("/accounts/login/", {"email": user.email, "password": data.password})
        if response.status_code != 302:
            raise RuntimeError(f"in-process log-in failed: {response.status_code}")
        return client

    anonymous = Client(HTTP_HOST="127.0.0.1")
    viewer, light = signed_in(data.viewer), signed_in(data.light_viewer)
    pages = {
        "bare": (anonymous, BARE_PATH),
        "watch, 5 comments": (viewer, data.watch_path(data.few_comments_video_id)),
        "watch, 50 comments": (viewer, data.watch_path(data.load_video_id)),
        "watch, 300 comments": (viewer, data.watch_path(data.many_comments_video_id)),
        "home": (anonymous, "/"),
        "channel": (anonymous, data.channel_path),
        "playlist, 10 minutes": (anonymous, data.playlist_path(data.load_video_id)),
        "playlist, 2 hours": (anonymous, data.playlist_path(data.long_video_id)),
        "bell, 5 notifications": (light, "/notifications/bell/"),
        "bell, 1,000 notifications": (viewer, "/notifications/bell/"),
    }
    with override_settings(ROOT_URLCONF="bench.web_urls"):
        return {name: page_calls(client, path) for name, (client, path) in pages.items()}


def _load_pages(data, viewer_cookie: str) -> dict[str, tuple[str, dict[str, str]]]:
    """What wrk requests: page name -> (path, headers); the bare view first."""
    signed_in = {**PROXY_HEADERS, "Cookie": viewer_cookie}
    return {
        BASELINE: (BARE_PATH, PROXY_HEADERS),
        "watch": (data.watch_path(data.load_video_id), signed_in),
        "home": ("/", PROXY_HEADERS),
        "channel": (data.channel_path, PROXY_HEADERS),
        "playlist": (data.playlist_path(data.load_video_id), PROXY_HEADERS),
        "bell": ("/notifications/bell/", signed_in),
    }


def _preflight(base_url: str, pages, *, viewer_name: str) -> None:
    """Each page answers 200 as what it should be: wrk counts a redirect as a success."""
    import requests

    for name, (path, headers) in pages.items():
        response = requests.get(base_url + path, headers=headers, allow_redirects=False, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"{name} ({path}) answered {response.status_code}")
        if name == "watch" and viewer_name not in response.text:
            raise RuntimeError(f"{name} ({path}) is not the signed-in page")


def _load_rounds(wrk: Wrk, base_url: str, pages, options) -> list[dict[str, LoadRun]]:
    for path, headers in pages.values():
        wrk.run(base_url + path, seconds=WARM_UP_S, headers=headers)
    rounds = []
    for number in range(1, options.rounds + 1):
        results = {}
        for name, (path, headers) in pages.items():
            results[name] = run = wrk.run(
                base_url + path,
                seconds=options.seconds,
                headers=headers,
                connections=options.connections,
            )
            print(
                f"  round {number} {name:<9} {run.rps:8.1f} req/s  p50 {run.p50_ms:7.1f} ms"
                f"  p99 {run.p99_ms:7.1f} ms" + (f"  {run.errors} errors" if run.errors else ""),
                flush=True,
            )
        rounds.append(results)
    return rounds


def _playlist_times(base_url: str, data, requests_per_playlist: int) -> dict[str, float]:
    """Median ms to serve each rendition playlist, requests one at a time, interleaved."""
    import requests

    paths = {
        "10m": data.playlist_path(data.load_video_id),
        "2h": data.playlist_path(data.long_video_id),
    }
    times: dict[str, list[float]] = {label: [] for label in paths}
    with requests.Session() as session:
        for attempt in range(3 + requests_per_playlist):
            for label, path in paths.items():
                started = time.perf_counter()
                response = session.get(base_url + path, headers=PROXY_HEADERS, timeout=60)
                elapsed_ms = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"playlist {label} answered {response.status_code}")
                if attempt >= 3:  # the first three warm up
                    times[label].append(elapsed_ms)
    return {label: statistics.median(values) for label, values in times.items()}


def _exit_on_sigterm(signum, frame) -> None:
    sys.exit(128 + signum)


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def _print_table(figures: dict[str, PageFigures]) -> None:
    print(
        f"{'page':<9} {'req/s':>8} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8} {'p99 x':>7}"
        f"  {'target':<30} result"
    )
    for name, page in figures.items():
        if name == BASELINE:
            target, ok = "(the yardstick)", True
        else:
            target = f"req/s >= {RPS_TARGETS[name]}x bare"
            ok = page.rps_ratio >= RPS_TARGETS[name]
            if name in P99_TARGETS:
                target += f", p99 <= {P99_TARGETS[name]:g}x"
                ok = ok and page.p99_ratio <= P99_TARGETS[name]
        ok = ok and not page.errors
        errors = f"  ({page.errors} errors)" if page.errors else ""
        print(
            f"{name:<9} {page.rps:8.1f} {page.rps_ratio:7.3f} {page.p50_ms:8.1f}"
            f" {page.p99_ms:8.1f} {page.p99_ratio:7.2f}  {target:<30} {_verdict(ok)}{errors}"
        )


def main(argv: list[str]) -> dict:
    options = _options(argv)
    # A SIGTERM (a `timeout`, a CI stop) unwinds like Ctrl-C: gunicorn and the local
    # servers are stopped on the way out instead of left running.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    print("starting DynamoDB Local and SeaweedFS", flush=True)
    django_with_stack()
    from django.test.utils import override_settings

    from bench.web_seed import SEED_LIMITS, seed
    from videoplatform.local_servers import free_port

    started = time.monotonic()

    def log(message: str) -> None:
        print(f"  {time.monotonic() - started:5.1f} s  {message}", flush=True)

    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS, **SEED_LIMITS):
        data = seed(log=log)
        calls = _count_calls(data)
    print("AWS requests per page view (in-process, warm):")
    for name, counted in calls.items():
        print(f"  {name:<26} {counted.describe()}")

    port = free_port()
    server = Gunicorn(env=production_env(os.environ, port=port), port=port)
    try:
        server.wait_ready()
        print(
            f"gunicorn: {WORKERS} gthread workers x {THREADS} threads, DJANGO_ENV=production,"
            f" DEBUG off, on {server.base_url}; wrk {wrk_version()}:"
            f" {options.connections} connections, {options.seconds:g} s per page,"
            f" {options.rounds} rounds",
            flush=True,
        )
        cookie = sign_in(server.base_url, email=data.viewer.email, password=data.password)
        pages = _load_pages(data, cookie)
        _preflight(server.base_url, pages, viewer_name=data.viewer.display_name)
        with Wrk() as wrk:
            rounds = _load_rounds(wrk, server.base_url, pages, options)
        playlist_ms = _playlist_times(server.base_url, data, options.playlist_requests)
        workers = server.worker_pids()
        worker_rss = max(rss_mb(pid) for pid in workers)
    finally:
        server.stop()

    figures = page_figures(rounds)
    print(f"\nmedian of {options.rounds} rounds, ratios to the bare view of the same round:")
    _print_table(figures)
    bell_5 = calls["bell, 5 notifications"].total
    bell_1000 = calls["bell, 1,000 notifications"].total
    print(
        f"bell AWS requests: 5 notifications -> {bell_5}, 1,000 -> {bell_1000}"
        f"  target: the same  {_verdict(bell_5 == bell_1000)}"
    )
    playlist_ratio = ratio(playlist_ms["2h"], playlist_ms["10m"])
    print(
        f"playlist serving time: 10 minutes {playlist_ms['10m']:.1f} ms, 2 hours"
        f" {playlist_ms['2h']:.1f} ms, ratio {playlist_ratio:.2f}"
        f"  target <= {PLAYLIST_RATIO_TARGET}  {_verdict(playlist_ratio <= PLAYLIST_RATIO_TARGET)}"
    )
    print(
        f"worker RSS after the run: {worker_rss:.0f} MB (largest of {len(workers)} workers)"
        f"  target <= {RSS_TARGET_MB} MB  {_verdict(worker_rss <= RSS_TARGET_MB)}"
    )
    return record(
        **{f"web_{name}_rps_ratio": round(figures[name].rps_ratio, 3) for name in RPS_TARGETS},
        web_watch_p99_ratio=round(figures["watch"].p99_ratio, 2),
        web_bare_rps=round(figures[BASELINE].rps, 1),
        web_aws_requests={name: counted.as_dict() for name, counted in calls.items()},
        bell_queries_5=bell_5,
        bell_queries_1000=bell_1000,
        playlist_time_10m_ms=round(playlist_ms["10m"], 2),
        playlist_time_2h_ms=round(playlist_ms["2h"], 2),
        playlist_time_ratio_2h_10m=round(playlist_ratio, 3),
        worker_rss_mb=round(worker_rss, 1),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
