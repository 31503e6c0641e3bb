"""Secrets the tasks receive as ECS secrets (never as plain environment values).

Generated ones are ready at once. ``CloudFrontPrivateKey`` and ``SesSmtp`` hold
placeholders until the operator stores the real values (the private half of the
CloudFront key pair; SES SMTP credentials), then restarts the services.
"""

import json

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct


class SecretsStack(Stack):
    def __init__(self, scope: Construct, id: str, **kwargs):
        super().__init__(scope, id, **kwargs)
        self.django_secret_key = self._generated("DjangoSecretKey", "Django SECRET_KEY", 64)
        # Sent by EventBridge in a header: letters and digits only.
        self.webhook_secret = self._generated(
            "EventsWebhookSecret", "Shared secret of the EventBridge API destination", 48
        )
        self.cloudfront_private_key = secretsmanager.Secret(
            self,
            "CloudFrontPrivateKey",
            description="PEM of the private key matching the CloudFront public key (set by hand)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=32
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.ses_smtp = secretsmanager.Secret(
            self,
            "SesSmtp",
            description="SES SMTP credentials {username, password} (set by hand)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": "set-me"}),
                generate_string_key="password",
                exclude_punctuation=True,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _generated(self, id: str, description: str, length: int) -> secretsmanager.Secret:
        return secretsmanager.Secret(
            self,
            id,
            description=description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=length
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
