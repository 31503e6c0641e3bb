"""Task roles against a reviewed list; the tasks' environment against the settings."""

import json
import os
import subprocess
import sys

from django.conf import settings

from deploy.synth import REPO_ROOT
from deploy.tests.templates import listed, resources

# --- compute and permissions ---------------------------------------------------------

DYNAMODB = [
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
SEARCH_READ = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"]
SEARCH_WRITE = sorted(SEARCH_READ + ["es:ESHttpDelete", "es:ESHttpPut"])
# Actions with no resource-level permission: the only ones allowed on "*".
UNSCOPED_ACTIONS = {"mediaconvert:Probe"}
# Reviewed: each process's AWS calls (see deploy/iam.py for where each comes from).
TASK_ROLE_ACTIONS = {
    "Web": sorted(
        DYNAMODB
        + SEARCH_READ
        + [
            "iam:PassRole",
            "ivs:CreateChannel",
            "ivs:CreateStreamKey",
            "ivs:DeleteChannel",
            "ivs:DeleteStreamKey",
            "ivs:GetStream",
            "ivs:ListStreamKeys",
            "ivs:StopStream",
            "ivs:TagResource",
            "mediaconvert:CreateJob",
            "mediaconvert:Probe",
            "s3:AbortMultipartUpload",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:ListMultipartUploadParts",
            "s3:PutObject",
        ]
    ),
    "NotificationWorker": sorted(DYNAMODB),
    "SearchWorker": sorted(DYNAMODB + SEARCH_WRITE),
    "ReconcileTranscodes": sorted(
        DYNAMODB
        + [
            "iam:PassRole",
            "mediaconvert:CreateJob",
            "mediaconvert:GetJob",
            "mediaconvert:Probe",
            "s3:AbortMultipartUpload",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:ListMultipartUploadParts",
            "s3:PutObject",
        ]
    ),
    "ReconcileLive": sorted(DYNAMODB + ["ivs:GetStream", "s3:ListBucket"]),
    "Maintenance": sorted(
        DYNAMODB + SEARCH_WRITE + ["dynamodb:DescribeTimeToLive", "dynamodb:Scan"]
    ),
}


def role_statements(template: dict, role_prefix: str) -> list[dict]:
    roles = [i for i in resources(template, "AWS::IAM::Role") if i.startswith(role_prefix)]
    assert len(roles) == 1, (role_prefix, roles)
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": roles[0]} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


class TestCompute:
    def test_each_task_role_holds_exactly_the_reviewed_actions(self, synthesized):
        """A task role gains or loses an action only together with this list; no
        statement allows any action on every resource."""
        template = synthesized.templates["compute"]
        for role, expected in TASK_ROLE_ACTIONS.items():
            statements = role_statements(template, f"{role}TaskRole")
            actions = sorted({a for s in statements for a in listed(s["Action"])})
            assert actions == expected, role
            for statement in statements:
                assert statement["Effect"] == "Allow"
                if "*" in listed(statement["Resource"]):
                    # Only actions that name no resource may be on "*", each on its own.
                    assert set(listed(statement["Action"])) <= UNSCOPED_ACTIONS, (role, statement)
                assert not any(a.endswith("*") for a in listed(statement["Action"]))

    def test_pass_role_only_for_mediaconvert(self, synthesized):
        """iam:PassRole names the MediaConvert role and only for MediaConvert."""
        template = synthesized.templates["compute"]
        for role in ("Web", "ReconcileTranscodes"):
            (statement,) = [
                s
                for s in role_statements(template, f"{role}TaskRole")
                if "iam:PassRole" in listed(s["Action"])
            ]
            assert statement["Condition"] == {
                "StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}
            }
            assert "MediaConvertRole" in json.dumps(statement["Resource"])

    def test_web_health_check_and_https(self, synthesized):
        """The load balancer checks /healthz and listens on 443 with the given
        certificate; port 80 only redirects."""
        template = synthesized.templates["compute"]
        (group,) = resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
        assert group["Properties"]["HealthCheckPath"] == "/healthz"
        listeners = {
            r["Properties"]["Port"]: r["Properties"]
            for r in resources(template, "AWS::ElasticLoadBalancingV2::Listener").values()
        }
        assert listeners[443]["Protocol"] == "HTTPS"
        assert listeners[443]["Certificates"][0]["CertificateArn"].startswith("arn:aws:acm:")
        assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
        policies = resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
        metrics = {
            p["Properties"]["TargetTrackingScalingPolicyConfiguration"][
                "PredefinedMetricSpecification"
            ]["PredefinedMetricType"]
            for p in policies
        }
        assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}

    def test_production_settings_start_with_the_tasks_environment(self, synthesized):
        """The web task's environment and secrets (placeholders for values only known
        at deploy time) satisfy every check videoplatform/settings.py makes in
        production: nothing the app needs is left for someone to set by hand."""
        template = synthesized.templates["compute"]
        containers = {
            logical_id: r["Properties"]["ContainerDefinitions"][0]
            for logical_id, r in resources(template, "AWS::ECS::TaskDefinition").items()
        }
        assert len(containers) == 6
        for logical_id, container in containers.items():
            names = {e["Name"] for e in container["Environment"]}
            secrets = {s["Name"] for s in container["Secrets"]}
            assert not names & secrets
            assert set(settings.PRODUCTION_REQUIRED) <= names | secrets, logical_id
            env = {
                key: value
                for key, value in os.environ.items()
                if not key.startswith(("DJANGO_", "AWS_", "S3_", "DYNAMODB_", "COGNITO_"))
            }
            for entry in container["Environment"]:
                value = entry["Value"]
                env[entry["Name"]] = value if isinstance(value, str) else "deploy-time-value"
            env.update({name: "secret-from-secrets-manager" for name in secrets})
            result = subprocess.run(
                [sys.executable, "-c", "import videoplatform.settings"],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, (logical_id, result.stderr[-2000:])
            assert env["DJANGO_ENV"] == "production"

    def test_logs_kept_for_a_month(self, synthesized):
        """Every log group has a retention (none keeps logs for ever)."""
        for key in ("compute",):
            groups = resources(synthesized.templates[key], "AWS::Logs::LogGroup").values()
            assert groups
            for group in groups:
                assert group["Properties"]["RetentionInDays"] == 30
