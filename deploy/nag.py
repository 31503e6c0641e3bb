"""cdk-nag findings accepted on purpose: each on its own resource, each with its reason.
Anything not listed here is an error that ``make synth`` and the tests report."""

from aws_cdk import Stack
from cdk_nag import NagSuppressions
from constructs import IConstruct

# Every DynamoDB table's indexes: a query names its index at run time.
INDEX_WILDCARD = {
    "regex": "/^Resource::arn:aws:dynamodb:[^:]+:[0-9]+:table\\/[A-Za-z0-9_.-]+\\/index\\/\\*$/"
}


def _accept(construct: IConstruct, rule: str, reason: str, applies_to: list | None = None) -> None:
    entry = {"id": rule, "reason": reason}
    if applies_to:
        entry["appliesTo"] = applies_to
    NagSuppressions.add_resource_suppressions(construct, [entry], apply_to_children=True)


def _child(stack: Stack, *path: str) -> IConstruct:
    node = stack
    for part in path:
        node = node.node.find_child(part)
    return node


def suppress_findings(stacks: dict[str, Stack]) -> None:
    _compute(stacks["compute"])
    _identity(stacks["identity"])
    _media(stacks["media"])
    _secrets(stacks["secrets"])
    _storage(stacks["storage"])


def _compute(stack) -> None:
    _search(stack)
    _accept(
        _child(stack, "Web", "LB", "SecurityGroup"),
        "AwsSolutions-EC23",
        "The public site: the load balancer takes HTTPS from anyone (HTTP only to redirect).",
    )
    for name, role in stack.roles.items():
        task = _child(stack, f"{name}Task")
        _accept(
            task,
            "AwsSolutions-ECS2",
            "Only non-secret settings (names, ARNs, URLs) are plain environment values; "
            "every secret reaches the container as an ECS secret from Secrets Manager.",
        )
        _accept(
            _child(task, "ExecutionRole"),
            "AwsSolutions-IAM5",
            "ecr:GetAuthorizationToken has no resource-level permission; the execution role "
            "otherwise pulls only this image and writes only this task's log group.",
            ["Resource::*"],
        )
        _accept(
            role,
            "AwsSolutions-IAM5",
            "A query names its index at run time; access stays within the app's own tables.",
            [INDEX_WILDCARD],
        )
        _accept(
            role,
            "AwsSolutions-IAM5",
            "Objects are addressed by key at run time (raw/<video>/source, images/..., "
            "hls/<video>/...), inside the app's own buckets only.",
            [{"regex": "/^Resource::<(Raw|Media)Bucket[0-9A-F]+\\.Arn>\\/\\*$/"}],
        )
        _accept(
            role,
            "AwsSolutions-IAM5",
            "IVS channels and stream keys are created per live session at run time, in this "
            "account and region only.",
            [{"regex": "/^Resource::arn:aws:ivs:[^:]+:[0-9]+:(channel|stream-key)\\/\\*$/"}],
        )
        if name in {"Web", "ReconcileTranscodes"}:
            _accept(
                role,
                "AwsSolutions-IAM5",
                "mediaconvert:Probe has no resource-level permission (it names no MediaConvert "
                "resource); it is the only action on '*', and what it reads is limited by the "
                "role's S3 permissions on the raw bucket.",
                ["Action::mediaconvert:Probe", "Resource::*"],
            )
        _accept(
            role,
            "AwsSolutions-IAM5",
            "The search domain's indexes are named at run time (<alias>-<suffix>); access "
            "stays within the app's one domain.",
            [{"regex": "/^Resource::<SearchDomain[0-9A-F]+\\.Arn>\\/\\*$/"}],
        )
        _accept(
            role,
            "AwsSolutions-IAM5",
            "A MediaConvert job's id exists only once CreateJob made it.",
            [{"regex": "/^Resource::arn:aws:mediaconvert:[^:]+:[0-9]+:jobs\\/\\*$/"}],
        )


def _search(stack) -> None:
    domain = _child(stack, "Search", "Domain")
    _accept(
        domain,
        "AwsSolutions-OS3",
        "The domain has no public endpoint: it is in private subnets, reachable on 443 only "
        "from the app's task security groups, and every request must be SigV4-signed by a "
        "role IAM allows; an IP allow-list adds nothing to that.",
    )
    _accept(
        domain,
        "AwsSolutions-OS4",
        "Two data nodes hold a derived index (rebuilt from DynamoDB by search_reindex); "
        "three dedicated manager nodes would cost more than the data nodes. Add them "
        "(capacity.master_nodes) when the domain grows past a few data nodes.",
    )


def _identity(stack) -> None:
    users = _child(stack, "Users")
    _accept(
        users,
        "AwsSolutions-COG2",
        "Viewers and creators may turn on TOTP MFA; requiring it for every viewer of a "
        "public video site would keep most of them out.",
    )
    _accept(
        users,
        "AwsSolutions-COG8",
        "Threat protection needs the Plus feature plan, a cost decision for the operator; "
        "sign-in abuse is also limited by Cognito's own throttling.",
    )


def _media(stack) -> None:
    _accept(
        _child(stack, "EventsDeadLetters"),
        "AwsSolutions-SQS3",
        "This queue is the dead-letter queue of the EventBridge targets.",
    )
    _accept(
        _child(stack, "MediaConvertRole"),
        "AwsSolutions-IAM5",
        "A job reads raw/<video>/source and writes hls/<video>/...: only those prefixes.",
        [{"regex": "/^Resource::<(Raw|Media)Bucket[0-9A-F]+\\.Arn>\\/(raw|hls)\\/\\*$/"}],
    )


def _secrets(stack) -> None:
    reasons = {
        "DjangoSecretKey": "Rotating SECRET_KEY signs everyone out and voids signed values; "
        "it is rotated by hand with a deploy.",
        "EventsWebhookSecret": "Shared with the EventBridge connection, which reads it at "
        "deploy time; rotated by updating the secret and redeploying the media stack.",
        "CloudFrontPrivateKey": "Half of a key pair whose public key is registered with "
        "CloudFront; rotation is a new key pair, done by hand.",
        "SesSmtp": "SES SMTP credentials derive from an IAM user's key; rotated by hand.",
    }
    for name, reason in reasons.items():
        _accept(_child(stack, name), "AwsSolutions-SMG4", reason)


def _storage(stack) -> None:
    distribution = _child(stack, "MediaDistribution")
    _accept(
        distribution,
        "AwsSolutions-CFR1",
        "Videos are for viewers everywhere; no country is restricted.",
    )
    _accept(
        distribution,
        "AwsSolutions-CFR2",
        "The distribution serves only requests signed by the app (trusted key group); the "
        "pages themselves are served by the load balancer, not here.",
    )
    if not stack.config.media_certificate_arn:
        _accept(
            distribution,
            "AwsSolutions-CFR4",
            "Without a media certificate the CDN answers on *.cloudfront.net, whose default "
            "certificate's TLS policy cannot be chosen; set media_certificate_arn to fix.",
        )
