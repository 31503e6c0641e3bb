"""The web benchmark's machinery (`python -m bench web`, bench/web_*.py) without a load
run: wrk's output read back, the per-round ratios and medians, the AWS request counter
on known pages, the seeded playlists, and the environment gunicorn gets."""

import json
import os
import subprocess
import sys

import pytest
from django.test.utils import override_settings

from bench.results import REPO_ROOT
from bench.web_calls import count_aws_requests, page_calls
from bench.web_load import (
    BARE_PATH,
    LoadError,
    LoadRun,
    page_figures,
    parse_wrk_output,
    wrk_command,
)
from bench.web_seed import RENDITION, ready_video, rendition_playlist
from bench.web_server import child_pids, production_env, rss_mb
from videoplatform.aws import dynamodb_client, s3_client

# What Debian's wrk 4.1.0 printed for `--latency` with bench.web_load.REPORT_SCRIPT.
WRK_TEXT = """\
Running 1s test @ http://127.0.0.1:18765/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    45.32ms   17.45ms 101.28ms   63.85%
    Req/Sec   128.40     19.35   160.00     60.00%
  Latency Distribution
     50%   42.30ms
     75%   55.35ms
     90%   70.54ms
     99%    1.20s
  130 requests in 1.02s, 2.52MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    128.08
Transfer/sec:      2.49MB
"""
WRK_JSON_LINE = (
    'WRK_JSON {"requests": 130, "duration_us": 1015006, "p50_us": 42296.0, '
    '"p99_us": 93020.0, "status_errors": 4, "socket_errors": 3}\n'
)


class TestWrkOutput:
    def test_reads_the_report_line(self):
        """The report script's JSON line gives exact microsecond percentiles."""
        run = parse_wrk_output(WRK_TEXT + WRK_JSON_LINE)
        assert run.requests == 130
        assert run.seconds == pytest.approx(1.015006)
        assert run.rps == pytest.approx(130 / 1.015006)
        assert (run.p50_ms, run.p99_ms) == (pytest.approx(42.296), pytest.approx(93.02))
        assert run.errors == 7

    def test_reads_wrk_text_without_the_report_line(self):
        """wrk's own text suffices too: units converted, errors of both kinds added."""
        run = parse_wrk_output(WRK_TEXT)
        assert (run.requests, run.seconds) == (130, pytest.approx(1.02))
        assert run.p50_ms == pytest.approx(42.3)
        assert run.p99_ms == pytest.approx(1200)
        assert run.errors == 4 + 3

    def test_unreadable_output_is_an_error(self):
        """Output without a request count or percentiles stops the bench, not a zero."""
        with pytest.raises(LoadError):
            parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")

    def test_command_carries_the_headers_and_bounds(self):
        """wrk gets the duration, the connections, --latency and every header."""
        command = wrk_command(
            "http://127.0.0.1:1/x",
            seconds=5,
            headers={"Cookie": "a=b; c=d"},
            script="report.lua",
        )
        assert command[-1] == "http://127.0.0.1:1/x"
        assert command[command.index("--duration") :][:2] == ["--duration", "5s"]
        assert command[command.index("--connections") :][:2] == ["--connections", "8"]
        assert "--latency" in command and "Cookie: a=b; c=d" in command


def _run(rps: float, p99_ms: float) -> LoadRun:
    return LoadRun(requests=int(rps * 10), seconds=10, p50_ms=p99_ms / 2, p99_ms=p99_ms)


class TestFigures:
    def test_ratios_are_taken_per_round_then_the_median(self):
        """A round where the whole machine ran at half speed moves both sides of its
        ratios, so it does not drag the page's ratio down; the medians ignore one outlier."""
        rounds = [
            {"bare": _run(1000, 10), "watch": _run(250, 40)},
            {"bare": _run(500, 20), "watch": _run(125, 80)},  # the slow round
            {"bare": _run(1000, 10), "watch": _run(300, 50)},
        ]
        figures = page_figures(rounds)
        assert figures["watch"].rps_ratio == pytest.approx(0.25)
        assert figures["watch"].p99_ratio == pytest.approx(4.0)
        assert figures["watch"].rps == pytest.approx(250)
        assert figures["watch"].p99_ms == pytest.approx(50)
        assert figures["bare"].rps_ratio == pytest.approx(1.0)

    def test_errors_add_up_over_rounds(self):
        """A page that failed in any round shows it."""
        failing = LoadRun(requests=10, seconds=1, p50_ms=1, p99_ms=2, errors=3)
        figures = page_figures([{"bare": _run(10, 1), "bell": failing}] * 2)
        assert figures["bell"].errors == 6


class TestAwsCounter:
    def test_counts_each_service_and_operation(self):
        """Every botocore call is counted under its service, and only inside the block."""
        with count_aws_requests() as calls:
            s3_client().list_buckets()
            dynamodb_client().list_tables(Limit=1)
        s3_client().list_buckets()
        assert calls.calls == [("s3", "ListBuckets"), ("dynamodb", "ListTables")]
        assert calls.as_dict() == {"s3": 1, "dynamodb": 1}
        assert calls.describe() == "2 (dynamodb: ListTables; s3: ListBuckets)"

    def test_counts_only_the_calling_thread(self):
        """A request another thread makes meanwhile (a live server's) is not counted."""
        import threading

        with count_aws_requests() as calls:
            other = threading.Thread(target=lambda: s3_client().list_buckets())
            other.start()
            other.join()
            dynamodb_client().list_tables(Limit=1)
        assert calls.calls == [("dynamodb", "ListTables")]

    def test_the_bare_view_makes_no_request(self, client):
        """The yardstick is served through the whole middleware stack and touches nothing."""
        with override_settings(ROOT_URLCONF="bench.web_urls"):
            calls = page_calls(client, BARE_PATH)
            assert client.get(BARE_PATH).content == b"ok\n"
        assert calls.total == 0

    def test_a_cold_playlist_reads_the_bucket(self, client, user, channel):
        """The first request for a seeded video's rendition playlist looks the video up
        and reads the playlist the seed stored; a page that is not a 200 is refused."""
        video_id = ready_video(owner=user, channel=channel, title="Counted", duration_s=60)
        path = f"/watch/{video_id}/hls/{RENDITION}"
        with count_aws_requests() as calls:
            response = client.get(path)
        assert response.status_code == 200
        assert "GetObject" in calls.of("s3") and calls.of("dynamodb")
        assert response.content.decode().count("seg_000") == 15
        with pytest.raises(AssertionError):
            page_calls(client, f"/watch/{video_id}/hls/nothing.m3u8")


class TestSeededPlaylists:
    def test_length_follows_duration(self):
        """Four-second segments as ffmpeg cuts them, a short last one, a finished VOD."""
        ten_minutes = rendition_playlist(600)
        assert ten_minutes.count("#EXTINF:") == 150
        assert rendition_playlist(7200).count("#EXTINF:") == 1800
        odd = rendition_playlist(10)
        assert "#EXTINF:2.000000," in odd and odd.count("#EXTINF:") == 3
        assert ten_minutes.rstrip().endswith("#EXT-X-ENDLIST")


class TestGunicornEnvironment:
    def test_production_settings_load_with_local_values(self):
        """The environment the bench gives gunicorn loads the production settings with
        DEBUG off, the bench URLconf, and the stack's endpoints, without real AWS."""
        env = production_env(
            {
                **os.environ,
                "DJANGO_DEBUG": "1",
                "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:9",
                "S3_ENDPOINT_URL": "http://127.0.0.1:9",
            },
            port=8123,
        )
        script = (
            "import django, json; django.setup(); from django.conf import settings as s;"
            "print(json.dumps([s.DEBUG, s.PRODUCTION, s.ROOT_URLCONF, s.DYNAMODB_ENDPOINT_URL,"
            " s.CSRF_TRUSTED_ORIGINS, s.SESSION_COOKIE_SECURE]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[-1]) == [
            False,
            True,
            "bench.web_urls",
            "http://127.0.0.1:9",
            ["https://127.0.0.1:8123"],
            True,
        ]

    def test_worker_processes_and_their_memory_are_found(self):
        """Children are found by their parent pid; RSS is read from /proc."""
        child = subprocess.Popen(["sleep", "30"])
        try:
            assert child.pid in child_pids(os.getpid())
            assert 1 < rss_mb(os.getpid()) < 10_000
        finally:
            child.kill()
            child.wait()
