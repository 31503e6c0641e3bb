"""Storage and delivery: the raw and media buckets, and CloudFront in front of media.

Neither bucket is public. Browsers write only to the raw bucket (presigned POST / PUT)
and read media only through CloudFront, which reaches the bucket with Origin Access
Control and serves only requests signed by the app (a trusted key group: signed
cookies or URLs). Lifecycle rules come from ``videoplatform.storage``.
"""

from aws_cdk import CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from deploy.config import DeployConfig

# Parts of an upload nobody completed are dropped after this many days anywhere in a
# bucket (the app's own rule covers raw/ with its abandon time).
ABORT_UNFINISHED_UPLOADS_DAYS = 7
# A replaced or deleted raw upload stays recoverable this long (versioning).
NONCURRENT_RAW_DAYS = 30
PLAYLIST_TTL = Duration.seconds(60)
SEGMENT_TTL = Duration.days(365)


def lifecycle_rule_from_s3(rule: dict) -> s3.LifecycleRule:
    """One rule in the S3 API's shape (what ``ensure_buckets`` sets) as a CDK rule.
    A key this does not know stops the synth, so no part of a rule is dropped."""
    known = {"ID", "Filter", "Status", "AbortIncompleteMultipartUpload", "Expiration"}
    unknown = set(rule) - known
    if unknown or set(rule.get("Filter", {})) - {"Prefix"}:
        raise ValueError(f"lifecycle rule {rule.get('ID')}: cannot deploy {sorted(unknown)}")
    abort = rule.get("AbortIncompleteMultipartUpload")
    expiration = rule.get("Expiration")
    if expiration and set(expiration) != {"Days"}:
        raise ValueError(f"lifecycle rule {rule.get('ID')}: expiration must be in days")
    return s3.LifecycleRule(
        id=rule["ID"],
        enabled=rule["Status"] == "Enabled",
        prefix=rule.get("Filter", {}).get("Prefix"),
        abort_incomplete_multipart_upload_after=(
            Duration.days(abort["DaysAfterInitiation"]) if abort else None
        ),
        expiration=Duration.days(expiration["Days"]) if expiration else None,
    )


class StorageStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: DeployConfig,
        raw_lifecycle_rules: list[dict],
        media_headers_policy: dict,
        **kwargs,
    ):
        super().__init__(scope, id, **kwargs)
        self.config = config
        # S3 server access logs, the load balancer's and CloudFront's logs.
        self.logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront standard logs are written with an ACL.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        abort_everywhere = s3.LifecycleRule(
            id="abort-unfinished-uploads-anywhere",
            abort_incomplete_multipart_upload_after=Duration.days(ABORT_UNFINISHED_UPLOADS_DAYS),
        )
        self.raw_bucket = self._bucket(
            "RawBucket",
            versioned=True,
            cors_methods=[s3.HttpMethods.POST, s3.HttpMethods.PUT],
            lifecycle_rules=[
                *[lifecycle_rule_from_s3(rule) for rule in raw_lifecycle_rules],
                abort_everywhere,
                s3.LifecycleRule(
                    id="expire-replaced-versions",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_RAW_DAYS),
                ),
            ],
        )
        # Media is rebuilt from raw by transcoding; not versioned.
        self.media_bucket = self._bucket(
            "MediaBucket",
            versioned=False,
            cors_methods=[s3.HttpMethods.GET, s3.HttpMethods.HEAD],
            lifecycle_rules=[abort_everywhere],
        )
        self._distribution(media_headers_policy)

    def _bucket(self, id, *, versioned, cors_methods, lifecycle_rules) -> s3.Bucket:
        return s3.Bucket(
            self,
            id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned,
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix=f"s3/{id}/",
            cors=[
                s3.CorsRule(
                    allowed_origins=[self.config.site_url],
                    allowed_methods=cors_methods,
                    allowed_headers=["*"],
                    exposed_headers=["ETag"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=lifecycle_rules,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _distribution(self, media_headers_policy: dict) -> None:
        public_key_pem = CfnParameter(
            self,
            "CloudFrontPublicKeyPem",
            type="String",
            description="PEM of the RSA public key whose private half the app signs media with.",
            default=self.config.cloudfront_public_key_pem or None,
            no_echo=False,
        )
        self.public_key = cloudfront.PublicKey(
            self, "MediaSigningKey", encoded_key=public_key_pem.value_as_string
        )
        key_group = cloudfront.KeyGroup(self, "MediaKeyGroup", items=[self.public_key])

        security = media_headers_policy["SecurityHeadersConfig"]
        csp = security["ContentSecurityPolicy"]
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "MediaHeaders",
            comment=media_headers_policy["Comment"],
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(
                    override=security["ContentTypeOptions"]["Override"]
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp["ContentSecurityPolicy"],
                    override=csp["Override"],
                ),
            ),
            # hls.js fetches with credentials (the signed cookies), which needs the site's
            # exact origin and Allow-Credentials: the managed CORS policies send "*".
            cors_behavior=cloudfront.ResponseHeadersCorsBehavior(
                access_control_allow_credentials=True,
                access_control_allow_headers=["Range"],
                access_control_allow_methods=["GET", "HEAD"],
                access_control_allow_origins=[self.config.site_url],
                access_control_max_age=Duration.seconds(3000),
                origin_override=True,
            ),
        )
        # Cookies and signatures stay out of the cache key: one cached copy serves
        # every viewer CloudFront let through.
        segments = self._cache_policy("Segments", SEGMENT_TTL, SEGMENT_TTL)
        playlists = self._cache_policy("Playlists", PLAYLIST_TTL, Duration.seconds(300))
        origin = origins.S3BucketOrigin.with_origin_access_control(self.media_bucket)

        def behavior(cache_policy) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cache_policy=cache_policy,
                response_headers_policy=headers,
                trusted_key_groups=[key_group],
                compress=True,
            )

        custom_domain = {}
        if self.config.media_certificate_arn:
            custom_domain = {
                "domain_names": [self.config.media_domain],
                "certificate": acm.Certificate.from_certificate_arn(
                    self, "MediaCertificate", self.config.media_certificate_arn
                ),
                "minimum_protocol_version": cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            }
        self.distribution = cloudfront.Distribution(
            self,
            "MediaDistribution",
            comment="Media: HLS, posters and channel images",
            default_behavior=behavior(segments),
            additional_behaviors={"*.m3u8": behavior(playlists)},
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs_bucket,
            log_file_prefix="cloudfront/",
            **custom_domain,
        )
        if self.config.media_certificate_arn and self.config.hosted_zone_id:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self,
                "Zone",
                hosted_zone_id=self.config.hosted_zone_id,
                zone_name=self.config.domain,
            )
            route53.ARecord(
                self,
                "MediaAlias",
                zone=zone,
                record_name=self.config.media_domain,
                target=route53.RecordTarget.from_alias(
                    route53_targets.CloudFrontTarget(self.distribution)
                ),
            )
        CfnOutput(self, "MediaDomain", value=self.media_domain)
        CfnOutput(self, "MediaKeyId", value=self.public_key.public_key_id)

    def _cache_policy(self, id: str, default_ttl, max_ttl) -> cloudfront.CachePolicy:
        return cloudfront.CachePolicy(
            self,
            id,
            comment=f"Media {id.lower()}",
            default_ttl=default_ttl,
            max_ttl=max_ttl,
            min_ttl=Duration.seconds(0),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )

    @property
    def media_domain(self) -> str:
        """The name the app builds media URLs and cookie scopes with."""
        if self.config.media_certificate_arn:
            return self.config.media_domain
        return self.distribution.distribution_domain_name
