"""Sign-in: a Cognito user pool with managed login (the hosted UI), one app client
using the authorization code flow with PKCE, and the ``admin`` and ``moderator``
groups the app reads from the ``cognito:groups`` claim."""

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from deploy.config import DeployConfig

# channels_app/auth/cognito.py CognitoConfig: admin_group, moderator_group.
GROUPS = ("admin", "moderator")
CALLBACK_PATH = "/accounts/cognito/callback/"


class IdentityStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: DeployConfig, **kwargs):
        super().__init__(scope, id, **kwargs)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=10,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # A public client: the server proves itself with PKCE, so no client secret has
        # to be fetched into the tasks (COGNITO_CLIENT_SECRET stays empty).
        self.client = self.user_pool.add_client(
            "Web",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=False),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=[f"{config.site_url}{CALLBACK_PATH}"],
                logout_urls=[f"{config.site_url}/"],
            ),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.minutes(60),
            access_token_validity=Duration.minutes(60),
            refresh_token_validity=Duration.days(30),
        )
        # Managed login (version 2) on a Cognito-owned prefix domain.
        self.domain = self.user_pool.add_domain(
            "ManagedLogin",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=_domain_prefix(config.domain)
            ),
            managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        )
        cognito.CfnManagedLoginBranding(
            self,
            "ManagedLoginBranding",
            user_pool_id=self.user_pool.user_pool_id,
            client_id=self.client.user_pool_client_id,
            use_cognito_provided_values=True,
        )
        for group in GROUPS:
            cognito.CfnUserPoolGroup(
                self,
                f"{group.title()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=group,
                description=f"Platform role {group}",
            )
        CfnOutput(self, "SignInDomain", value=self.sign_in_url)

    @property
    def sign_in_url(self) -> str:
        """COGNITO_DOMAIN: the managed login base URL."""
        return self.domain.base_url()


def _domain_prefix(domain: str) -> str:
    # Cognito prefixes: lowercase letters, digits and hyphens, no "aws"/"cognito".
    cleaned = "".join(c if c.isalnum() else "-" for c in domain.lower()).strip("-")
    return f"{cleaned}-login"[:63]
