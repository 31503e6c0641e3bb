"""The whole app: six stacks wired together, cdk-nag applied to every one.

data -> secrets -> storage -> identity -> media -> compute -> operations. Every
environment variable the app reads in production is set here, from the stacks.
"""

from pathlib import Path

from aws_cdk import App, Aspects, Environment, Stack
from aws_cdk import aws_ecs as ecs
from cdk_nag import AwsSolutionsChecks

from deploy import app_schema
from deploy.compute_stack import ComputeStack
from deploy.config import DeployConfig, config_from
from deploy.data_stack import DataStack
from deploy.iam import TaskPermissions
from deploy.identity_stack import IdentityStack
from deploy.media_stack import MediaStack, header_from_meta
from deploy.nag import suppress_findings
from deploy.operations_stack import OperationsStack
from deploy.secrets_stack import SecretsStack
from deploy.storage_stack import StorageStack

STACK_PREFIX = "VideoPlatform"


def build_app(app: App, *, image_directory: Path) -> dict[str, Stack]:
    config = config_from(app)
    env = Environment(account=config.account, region=config.region)
    settings = app_schema.app_settings("MEDIACONVERT_APP_TAG", "EVENTS_WEBHOOK_HEADER")

    data = DataStack(
        app,
        f"{STACK_PREFIX}-Data",
        specs=app_schema.table_specs(),
        table_prefix=config.table_prefix,
        env=env,
    )
    secrets = SecretsStack(app, f"{STACK_PREFIX}-Secrets", env=env)
    storage = StorageStack(
        app,
        f"{STACK_PREFIX}-Storage",
        config=config,
        raw_lifecycle_rules=app_schema.raw_bucket_lifecycle_rules(),
        media_headers_policy=app_schema.media_response_headers_policy(),
        env=env,
    )
    identity = IdentityStack(app, f"{STACK_PREFIX}-Identity", config=config, env=env)
    media = MediaStack(
        app,
        f"{STACK_PREFIX}-Media",
        config=config,
        raw_bucket=storage.raw_bucket,
        media_bucket=storage.media_bucket,
        webhook_secret=secrets.webhook_secret,
        webhook_header=header_from_meta(settings["EVENTS_WEBHOOK_HEADER"]),
        app_tag=settings["MEDIACONVERT_APP_TAG"],
        env=env,
    )
    permissions = TaskPermissions(
        region=config.region,
        account=config.account,
        table_names=tuple(data.table_names),
        raw_bucket_arn=storage.raw_bucket.bucket_arn,
        media_bucket_arn=storage.media_bucket.bucket_arn,
        mediaconvert_role_arn=media.mediaconvert_role.role_arn,
        recording_configuration_arn=media.recording_configuration.attr_arn,
    )
    compute = ComputeStack(
        app,
        f"{STACK_PREFIX}-Compute",
        config=config,
        image_directory=image_directory,
        environment=app_environment(
            config,
            storage=storage,
            identity=identity,
            media=media,
            app_tag=settings["MEDIACONVERT_APP_TAG"],
        ),
        secrets=app_secrets(secrets),
        permissions=permissions,
        logs_bucket=storage.logs_bucket,
        env=env,
    )
    compute.add_stack_dependency(data)
    operations = OperationsStack(
        app,
        f"{STACK_PREFIX}-Operations",
        load_balancer=compute.web.load_balancer,
        dead_letters=media.dead_letters,
        table_names=data.table_names,
        alarm_email=config.alarm_email,
        env=env,
    )
    operations.add_stack_dependency(data)
    stacks = {
        "data": data,
        "secrets": secrets,
        "storage": storage,
        "identity": identity,
        "media": media,
        "compute": compute,
        "operations": operations,
    }
    suppress_findings(stacks)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stacks


def app_environment(
    config: DeployConfig,
    *,
    storage: StorageStack,
    identity: IdentityStack,
    media: MediaStack,
    app_tag: str,
) -> dict[str, str]:
    """Plain settings (videoplatform/settings.py); secrets go through ``app_secrets``."""
    signed_cookies = bool(config.media_certificate_arn)
    environment = {
        "DJANGO_ENV": "production",
        "DJANGO_ALLOWED_HOSTS": config.domain,
        "DJANGO_CSRF_TRUSTED_ORIGINS": config.site_url,
        "SITE_URL": config.site_url,
        "AWS_REGION": config.region,
        "AWS_ACCOUNT_ID": config.account,
        "DYNAMODB_TABLE_PREFIX": config.table_prefix,
        "S3_RAW_BUCKET": storage.raw_bucket.bucket_name,
        "S3_MEDIA_BUCKET": storage.media_bucket.bucket_name,
        "S3_CORS_ALLOWED_ORIGINS": config.site_url,
        "CLOUDFRONT_DOMAIN": storage.media_domain,
        "CLOUDFRONT_KEY_ID": storage.public_key.public_key_id,
        # Cookies need the CDN on a subdomain of the site (media.<domain>).
        "PLAYBACK_SIGNED_COOKIES": "true" if signed_cookies else "false",
        "AUTH_BACKEND": "cognito",
        "COGNITO_REGION": config.region,
        "COGNITO_USER_POOL_ID": identity.user_pool.user_pool_id,
        "COGNITO_CLIENT_ID": identity.client.user_pool_client_id,
        "COGNITO_DOMAIN": identity.sign_in_url,
        "TRANSCODER_BACKEND": "mediaconvert",
        "MEDIACONVERT_ROLE_ARN": media.mediaconvert_role.role_arn,
        "MEDIACONVERT_APP_TAG": app_tag,
        "LIVE_BACKEND": "ivs",
        "IVS_RECORDING_CONFIGURATION_ARN": media.recording_configuration.attr_arn,
        "DEFAULT_FROM_EMAIL": f"no-reply@{config.domain}",
        # Only the load balancer is in front of the tasks.
        "TRUSTED_PROXY_HOPS": "1",
    }
    if signed_cookies:
        environment["PLAYBACK_COOKIE_DOMAIN"] = f".{config.domain}"
    return environment


def app_secrets(secrets: SecretsStack) -> dict[str, ecs.Secret]:
    return {
        "DJANGO_SECRET_KEY": ecs.Secret.from_secrets_manager(secrets.django_secret_key),
        "EVENTS_WEBHOOK_SECRET": ecs.Secret.from_secrets_manager(secrets.webhook_secret),
        "CLOUDFRONT_PRIVATE_KEY": ecs.Secret.from_secrets_manager(secrets.cloudfront_private_key),
        "EMAIL_HOST_USER": ecs.Secret.from_secrets_manager(secrets.ses_smtp, "username"),
        "EMAIL_HOST_PASSWORD": ecs.Secret.from_secrets_manager(secrets.ses_smtp, "password"),
    }
