"""Each task role's statements: only the AWS actions its process calls, only on the
resources it touches. deploy/tests/test_stacks.py holds the reviewed list of actions
per role; a change here fails it until the list is reviewed too."""

from dataclasses import dataclass

from aws_cdk import aws_iam as iam

# PynamoDB reads, writes, transactions (TransactWriteItems is authorised per item
# action) and the DescribeTable it makes before a model's first request.
DYNAMODB_ITEM_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
]
# migrate_data reads every item once (a one-off, never a request path); ensure_tables
# checks each table's TTL.
DYNAMODB_MAINTENANCE_ACTIONS = ["dynamodb:DescribeTimeToLive", "dynamodb:Scan"]
# Uploads: presigned POST / multipart parts (signed with the task's credentials),
# completing, checking and removing them. CompleteMultipartUpload is s3:PutObject.
RAW_OBJECT_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
]
# Checked copies of channel images, playlists read for signing, deletes.
MEDIA_OBJECT_ACTIONS = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
# Without it S3 answers HEAD of a missing key 403, not the 404 storage.head_object
# expects; delete_prefix and find_recording list too.
LIST_ACTION = ["s3:ListBucket"]
# live_app/backends/ivs.py: what the web calls on go-live and in the studio (create or
# reuse a channel with tags, check it is not broadcasting, renew / rotate / revoke its
# one stream key, drop a channel a failed go-live left) and what reconcile_live asks.
IVS_WEB_ACTIONS = [
    "ivs:CreateChannel",
    "ivs:CreateStreamKey",
    "ivs:DeleteChannel",
    "ivs:DeleteStreamKey",
    "ivs:GetStream",
    "ivs:ListStreamKeys",
    "ivs:StopStream",
    "ivs:TagResource",
]
IVS_RECONCILE_ACTIONS = ["ivs:GetStream"]
# The search domain's HTTP API (videos_app/search/opensearch_backend.py). The web only
# reads: _search is a POST, a missing index a HEAD or GET. The search worker and the
# one-off search_reindex also make, fill, swap and drop indexes.
SEARCH_READ_ACTIONS = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"]
SEARCH_WRITE_ACTIONS = sorted(SEARCH_READ_ACTIONS + ["es:ESHttpDelete", "es:ESHttpPut"])


@dataclass(frozen=True)
class TaskPermissions:
    region: str
    account: str
    table_names: tuple[str, ...]
    raw_bucket_arn: str
    media_bucket_arn: str
    mediaconvert_role_arn: str
    recording_configuration_arn: str
    search_domain_arn: str = ""

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


def _dynamodb(p: TaskPermissions, actions: list[str]) -> iam.PolicyStatement:
    tables = [p.arn("dynamodb", f"table/{name}") for name in p.table_names]
    indexes = [f"{table}/index/*" for table in tables]
    return iam.PolicyStatement(actions=actions, resources=tables + indexes)


def _objects(bucket_arn: str, actions: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(actions=actions, resources=[f"{bucket_arn}/*"])


def _list(p: TaskPermissions) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        actions=LIST_ACTION, resources=[p.raw_bucket_arn, p.media_bucket_arn]
    )


def _mediaconvert(p: TaskPermissions, actions: list[str]) -> list[iam.PolicyStatement]:
    # Jobs go to the default queue; a job's ARN is only known once it exists.
    return [
        iam.PolicyStatement(
            actions=actions,
            resources=[p.arn("mediaconvert", "queues/Default"), p.arn("mediaconvert", "jobs/*")],
        ),
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[p.mediaconvert_role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}},
        ),
    ]


def _probe() -> iam.PolicyStatement:
    # A source is probed before its job is built (videos_app/transcoding/mediaconvert_probe.py).
    # Probe names no MediaConvert resource (it reads the caller's S3 object, allowed above
    # on the raw bucket only), so it cannot be scoped to one.
    return iam.PolicyStatement(actions=["mediaconvert:Probe"], resources=["*"])


def _ivs(p: TaskPermissions, actions: list[str]) -> iam.PolicyStatement:
    # Channels and keys are made at run time, one per live session.
    return iam.PolicyStatement(
        actions=actions,
        resources=[
            p.arn("ivs", "channel/*"),
            p.arn("ivs", "stream-key/*"),
            p.recording_configuration_arn,
        ],
    )


def _search(p: TaskPermissions, actions: list[str]) -> iam.PolicyStatement:
    # Index names are the app's (``<alias>-<suffix>``), chosen at run time.
    if not p.search_domain_arn:
        raise ValueError("no search domain to grant access to")
    return iam.PolicyStatement(
        actions=actions, resources=[p.search_domain_arn, f"{p.search_domain_arn}/*"]
    )


def task_statements(role: str, p: TaskPermissions) -> list[iam.PolicyStatement]:
    if role == "Web":
        return [
            _dynamodb(p, DYNAMODB_ITEM_ACTIONS),
            _objects(p.raw_bucket_arn, RAW_OBJECT_ACTIONS),
            _objects(p.media_bucket_arn, MEDIA_OBJECT_ACTIONS),
            _list(p),
            # The upload's "complete" submits the job (videos_app/uploads.py).
            *_mediaconvert(p, ["mediaconvert:CreateJob"]),
            _probe(),
            _ivs(p, IVS_WEB_ACTIONS),
            # Search results and suggestions (videos_app/search/results.py).
            _search(p, SEARCH_READ_ACTIONS),
        ]
    if role == "SearchWorker":
        # Reads what changed from DynamoDB, writes it to the index.
        return [_dynamodb(p, DYNAMODB_ITEM_ACTIONS), _search(p, SEARCH_WRITE_ACTIONS)]
    if role == "NotificationWorker":
        return [_dynamodb(p, DYNAMODB_ITEM_ACTIONS)]
    if role == "ReconcileTranscodes":
        return [
            _dynamodb(p, DYNAMODB_ITEM_ACTIONS),
            # Settles abandoned uploads: completes, checks or drops their parts.
            _objects(p.raw_bucket_arn, RAW_OBJECT_ACTIONS),
            _objects(p.media_bucket_arn, ["s3:GetObject"]),
            _list(p),
            # GetJob for the truth; CreateJob again for a video left "uploaded".
            *_mediaconvert(p, ["mediaconvert:CreateJob", "mediaconvert:GetJob"]),
            _probe(),
        ]
    if role == "ReconcileLive":
        return [
            _dynamodb(p, DYNAMODB_ITEM_ACTIONS),
            iam.PolicyStatement(actions=LIST_ACTION, resources=[p.media_bucket_arn]),
            _ivs(p, IVS_RECONCILE_ACTIONS),
        ]
    if role == "Maintenance":
        # migrate_data, and search_reindex when run as a one-off (deploy/run_task.py).
        return [
            _dynamodb(p, DYNAMODB_ITEM_ACTIONS + DYNAMODB_MAINTENANCE_ACTIONS),
            _search(p, SEARCH_WRITE_ACTIONS),
        ]
    raise ValueError(f"no permissions written for task role {role}")
