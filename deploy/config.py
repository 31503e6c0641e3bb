"""What the deploy is told by hand: the site's domain, its certificate and (optionally)
its hosted zone, from CDK context or the environment. Everything else the app reads
in production comes from the stacks.

Synth works offline: without an account, region or domain it falls back to
placeholders (``example.com``), so ``make synth`` and the tests need no credentials.
"""

import os
from dataclasses import dataclass

from aws_cdk import App

PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_REGION = "us-east-1"
PLACEHOLDER_DOMAIN = "example.com"
PLACEHOLDER_CERTIFICATE = (
    "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
)


@dataclass(frozen=True)
class DeployConfig:
    account: str
    region: str
    domain: str
    certificate_arn: str
    # Route 53 zone of ``domain``; without it DNS records are made by hand.
    hosted_zone_id: str = ""
    # ACM certificate in us-east-1 for media.<domain> (CloudFront). Without it the CDN
    # answers on its *.cloudfront.net name, where no cookie can be set, so playback
    # falls back to signed URLs.
    media_certificate_arn: str = ""
    # PEM of the CloudFront public key whose private half the app signs with.
    cloudfront_public_key_pem: str = ""
    table_prefix: str = "vp_"
    alarm_email: str = ""
    # The search domain (deploy/search_domain.py): its name, the instance type and
    # number of its data nodes (two or more, an even number, spread over two zones; one
    # for a trial, with no zone to fail over to) and each node's gp3 volume.
    search_domain_name: str = "videoplatform-search"
    search_instance_type: str = "t3.small.search"
    search_data_nodes: int = 2
    search_volume_gb: int = 10

    @property
    def site_url(self) -> str:
        return f"https://{self.domain}"

    @property
    def media_domain(self) -> str:
        return f"media.{self.domain}"

    @property
    def webhook_url(self) -> str:
        return f"{self.site_url}/hooks/aws/events/"


def _context(app: App, key: str, env_name: str, default: str = "") -> str:
    value = app.node.try_get_context(key)
    if value:
        return str(value)
    return os.environ.get(env_name, default)


def config_from(app: App) -> DeployConfig:
    """Context first (``cdk -c domain=...``), then the environment, then placeholders."""
    return DeployConfig(
        account=_context(app, "account", "CDK_DEFAULT_ACCOUNT", PLACEHOLDER_ACCOUNT),
        region=_context(app, "region", "CDK_DEFAULT_REGION", PLACEHOLDER_REGION),
        domain=_context(app, "domain", "DEPLOY_DOMAIN", PLACEHOLDER_DOMAIN),
        certificate_arn=_context(
            app, "certificate_arn", "DEPLOY_CERTIFICATE_ARN", PLACEHOLDER_CERTIFICATE
        ),
        hosted_zone_id=_context(app, "hosted_zone_id", "DEPLOY_HOSTED_ZONE_ID"),
        media_certificate_arn=_context(
            app, "media_certificate_arn", "DEPLOY_MEDIA_CERTIFICATE_ARN"
        ),
        cloudfront_public_key_pem=_context(
            app, "cloudfront_public_key_pem", "DEPLOY_CLOUDFRONT_PUBLIC_KEY_PEM"
        ),
        table_prefix=_context(app, "table_prefix", "DEPLOY_TABLE_PREFIX", "vp_"),
        alarm_email=_context(app, "alarm_email", "DEPLOY_ALARM_EMAIL"),
        search_instance_type=_context(
            app, "search_instance_type", "DEPLOY_SEARCH_INSTANCE_TYPE", "t3.small.search"
        ),
        search_data_nodes=int(_context(app, "search_data_nodes", "DEPLOY_SEARCH_DATA_NODES", "2")),
        search_volume_gb=int(_context(app, "search_volume_gb", "DEPLOY_SEARCH_VOLUME_GB", "10")),
    )
