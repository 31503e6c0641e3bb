"""Media services: the role MediaConvert works as, the IVS recording configuration,
and the EventBridge rules that deliver MediaConvert and IVS state changes to the app.

Events go to ``https://<domain>/hooks/aws/events/`` through an API destination whose
connection sends the shared webhook secret in the header ``videoplatform.hooks``
checks. The app answers a replay as a duplicate, so EventBridge's retries are safe;
what still fails after them lands in a dead-letter queue (and an alarm).
"""

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ivs as ivs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from deploy.config import DeployConfig

# What the app applies (videos_app.transcode_jobs): no SUBMITTED event exists.
MEDIACONVERT_STATUSES = ["PROGRESSING", "STATUS_UPDATE", "COMPLETE", "ERROR", "CANCELED"]
IVS_DETAIL_TYPES = ["IVS Stream State Change", "IVS Recording State Change"]
# Where MediaConvert reads sources and writes the ladder (videos_app/keys.py).
RAW_SOURCES = "raw/*"
HLS_OUTPUTS = "hls/*"


def header_from_meta(meta_name: str) -> str:
    """``HTTP_X_EVENTS_SECRET`` (Django's request.META key) -> ``X-Events-Secret``."""
    return "-".join(part.title() for part in meta_name.removeprefix("HTTP_").split("_"))


def mediaconvert_pattern(app_tag: str) -> dict:
    """The rule's event pattern: only jobs this app submitted (its UserMetadata tag)."""
    return {
        "source": ["aws.mediaconvert"],
        "detail-type": ["MediaConvert Job State Change"],
        "detail": {"status": MEDIACONVERT_STATUSES, "userMetadata": {"app": [app_tag]}},
    }


def ivs_pattern() -> dict:
    return {"source": ["aws.ivs"], "detail-type": IVS_DETAIL_TYPES}


class MediaStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: DeployConfig,
        raw_bucket: s3.IBucket,
        media_bucket: s3.IBucket,
        webhook_secret: secretsmanager.ISecret,
        webhook_header: str,
        app_tag: str,
        **kwargs,
    ):
        super().__init__(scope, id, **kwargs)
        self.mediaconvert_role = iam.Role(
            self,
            "MediaConvertRole",
            assumed_by=iam.ServicePrincipal("mediaconvert.amazonaws.com"),
            description="MediaConvert jobs: read raw sources, write the HLS ladder",
        )
        self.mediaconvert_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[raw_bucket.arn_for_objects(RAW_SOURCES)]
            )
        )
        self.mediaconvert_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[media_bucket.arn_for_objects(HLS_OUTPUTS)]
            )
        )

        # IVS writes recordings with its service-linked role; the replay is published
        # from ivs/v1/... in the media bucket (live_app/backends/ivs.py find_recording).
        self.recording_configuration = ivs.CfnRecordingConfiguration(
            self,
            "Recording",
            name="replays",
            destination_configuration=ivs.CfnRecordingConfiguration.DestinationConfigurationProperty(
                s3=ivs.CfnRecordingConfiguration.S3DestinationConfigurationProperty(
                    bucket_name=media_bucket.bucket_name
                )
            ),
            recording_reconnect_window_seconds=60,
            thumbnail_configuration=ivs.CfnRecordingConfiguration.ThumbnailConfigurationProperty(
                recording_mode="INTERVAL", target_interval_seconds=60
            ),
        )

        self.dead_letters = sqs.Queue(
            self,
            "EventsDeadLetters",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        connection = events.Connection(
            self,
            "AppConnection",
            description="The app's event intake; the header carries the shared secret",
            authorization=events.Authorization.api_key(webhook_header, webhook_secret.secret_value),
        )
        destination = events.ApiDestination(
            self,
            "AppEvents",
            connection=connection,
            endpoint=config.webhook_url,
            http_method=events.HttpMethod.POST,
            rate_limit_per_second=50,
            description="POST /hooks/aws/events/",
        )

        def deliver() -> targets.ApiDestination:
            # The whole envelope is posted: the app keys idempotency on its id.
            return targets.ApiDestination(
                destination,
                dead_letter_queue=self.dead_letters,
                retry_attempts=185,
                max_event_age=Duration.hours(24),
            )

        self.mediaconvert_rule = events.Rule(
            self,
            "MediaConvertJobs",
            description="MediaConvert job state changes of this app's jobs",
            event_pattern=_pattern(mediaconvert_pattern(app_tag)),
            targets=[deliver()],
        )
        self.ivs_rule = events.Rule(
            self,
            "IvsStreams",
            description="IVS stream and recording state changes",
            event_pattern=_pattern(ivs_pattern()),
            targets=[deliver()],
        )


def _pattern(pattern: dict) -> events.EventPattern:
    return events.EventPattern(
        source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern.get("detail")
    )
