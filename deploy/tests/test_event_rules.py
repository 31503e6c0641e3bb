"""The EventBridge rules against the events the app itself emits and handles."""

from types import SimpleNamespace

import pytest
from django.conf import settings

from deploy.tests.templates import resources

# --- events ------------------------------------------------------------------------


def pattern_matches(pattern: dict, event: dict) -> bool:
    """EventBridge matching for the subset the rules use: exact values listed, nested
    objects; an array in the event matches when any of its values does."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not pattern_matches(wanted, value):
                return False
            continue
        if not all(isinstance(w, str | int | float | bool) for w in wanted):
            raise NotImplementedError(f"pattern operator in {key}: {wanted}")
        values = value if isinstance(value, list) else [value]
        if not any(v in wanted for v in values):
            return False
    return True


class TestPatternMatcher:
    def test_matcher_tells_match_from_mismatch(self):
        """The matcher itself: nested values, lists of alternatives, missing keys."""
        pattern = {"source": ["a"], "detail": {"status": ["X", "Y"]}}
        assert pattern_matches(pattern, {"source": "a", "detail": {"status": "Y"}})
        assert not pattern_matches(pattern, {"source": "a", "detail": {"status": "Z"}})
        assert not pattern_matches(pattern, {"source": "a", "detail": {}})
        assert not pattern_matches(pattern, {"source": "b", "detail": {"status": "X"}})


def emitted(monkeypatch, module: str, call) -> list[dict]:
    """The events a piece of the app hands to ``handle_event``, captured."""
    captured: list[dict] = []
    monkeypatch.setattr(f"{module}.handle_event", captured.append)
    call()
    return captured


@pytest.fixture
def rules(synthesized):
    found = {}
    for logical_id, rule in resources(synthesized.templates["media"], "AWS::Events::Rule").items():
        for name in ("MediaConvertJobs", "IvsStreams"):
            if logical_id.startswith(name):
                found[name] = rule["Properties"]
    assert set(found) == {"MediaConvertJobs", "IvsStreams"}
    return found


class TestEventRules:
    def test_mediaconvert_rule_takes_the_events_the_worker_emits(self, rules, monkeypatch):
        """Each status the app applies, built by the local worker exactly as AWS would
        send it (same user metadata tag), matches the MediaConvert rule and not the IVS
        one."""
        from videos_app.worker import TranscodeWorker

        video = SimpleNamespace(video_id="v1")
        for status in ("PROGRESSING", "STATUS_UPDATE", "COMPLETE", "ERROR", "CANCELED"):
            (event,) = emitted(
                monkeypatch,
                "videos_app.worker",
                lambda status=status: TranscodeWorker._emit(
                    None, video=video, job_id="job-1", status=status
                ),
            )
            assert pattern_matches(rules["MediaConvertJobs"]["EventPattern"], event), status
            assert not pattern_matches(rules["IvsStreams"]["EventPattern"], event)

    def test_mediaconvert_rule_skips_other_jobs_and_statuses(self, rules):
        """AWS's own sample ERROR event of a job without this app's tag, and statuses
        the app does not handle, are not delivered."""
        from videoplatform.events import make_event

        pattern = rules["MediaConvertJobs"]["EventPattern"]
        foreign = make_event(
            source="aws.mediaconvert",
            detail_type="MediaConvert Job State Change",
            detail={"jobId": "1515368087458-qnoxtd", "status": "ERROR", "userMetadata": {}},
        )
        assert not pattern_matches(pattern, foreign)
        tagged = {"app": settings.MEDIACONVERT_APP_TAG, "video_id": "v1"}
        for status in ("INPUT_INFORMATION", "NEW_WARNING", "QUEUE_HOP"):
            event = make_event(
                source="aws.mediaconvert",
                detail_type="MediaConvert Job State Change",
                detail={"status": status, "userMetadata": tagged},
            )
            assert not pattern_matches(pattern, event), status

    def test_ivs_rule_takes_stream_and_recording_changes(self, rules, monkeypatch):
        """Stream Start / End as the local ingest emits them, and a Recording End shaped
        like the live tests' one, match the IVS rule and not the MediaConvert one."""
        from live_app.ingest import IngestServer
        from videoplatform.events import make_event

        stream = SimpleNamespace(
            stream_id="s1", channel_arn="arn:aws:ivs:us-east-1:123456789012:channel/abc"
        )
        events = []
        for name in ("Stream Start", "Stream End"):
            events += emitted(
                monkeypatch,
                "live_app.ingest",
                lambda name=name: IngestServer._emit_stream(None, stream, name),
            )
        events.append(
            make_event(
                source="aws.ivs",
                detail_type="IVS Recording State Change",
                detail={
                    "recording_status": "Recording End",
                    "recording_s3_bucket_name": "media",
                    "recording_s3_key_prefix": "ivs/v1/123456789012/abc/2026/1/1/0/0/rec",
                },
                resources=[stream.channel_arn],
            )
        )
        for event in events:
            assert pattern_matches(rules["IvsStreams"]["EventPattern"], event), event
            assert not pattern_matches(rules["MediaConvertJobs"]["EventPattern"], event)

    def test_events_reach_the_hook_with_the_secret_header(self, synthesized, rules):
        """Both rules post to /hooks/aws/events/ through the API destination, with a
        retry policy and a dead-letter queue; the connection sends the secret in the
        header the hook reads."""
        template = synthesized.templates["media"]
        (destination,) = resources(template, "AWS::Events::ApiDestination").values()
        assert destination["Properties"]["InvocationEndpoint"] == (
            "https://example.com/hooks/aws/events/"
        )
        assert destination["Properties"]["HttpMethod"] == "POST"
        (connection,) = resources(template, "AWS::Events::Connection").values()
        header = connection["Properties"]["AuthParameters"]["ApiKeyAuthParameters"]["ApiKeyName"]
        assert "HTTP_" + header.upper().replace("-", "_") == settings.EVENTS_WEBHOOK_HEADER
        for rule in rules.values():
            (target,) = rule["Targets"]
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
            assert "Arn" in target["DeadLetterConfig"]
