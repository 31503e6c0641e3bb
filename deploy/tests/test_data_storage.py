"""Tables against the PynamoDB models; buckets and CDN against the storage code."""

from django.conf import settings

from deploy.tests.templates import model_tables, resources

# --- data ------------------------------------------------------------------------


def template_tables(template: dict) -> dict[str, dict]:
    tables = {}
    for resource in resources(template, "AWS::DynamoDB::Table").values():
        props = resource["Properties"]
        ttl = props.get("TimeToLiveSpecification")
        tables[props["TableName"]] = {
            "keys": {(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]},
            "indexes": {
                index["IndexName"]: (
                    frozenset((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]),
                    index["Projection"]["ProjectionType"],
                    tuple(sorted(index["Projection"].get("NonKeyAttributes", []))),
                )
                for index in props.get("GlobalSecondaryIndexes", [])
            },
            "ttl": ttl["AttributeName"] if ttl and ttl.get("Enabled") else None,
        }
    return tables


class TestData:
    def test_tables_equal_the_models(self, synthesized):
        """Every model has its table with the same keys, indexes (keys and projections)
        and TTL attribute, and no table exists that no model declares."""
        expected = model_tables()
        assert len(expected) >= 20
        assert template_tables(synthesized.templates["data"]) == expected

    def test_tables_are_protected_and_on_demand(self, synthesized):
        """On-demand billing, point-in-time recovery, deletion protection, kept on stack
        deletion, and no stream (nothing consumes one)."""
        tables = resources(synthesized.templates["data"], "AWS::DynamoDB::Table")
        for logical_id, resource in tables.items():
            props = resource["Properties"]
            assert props["BillingMode"] == "PAY_PER_REQUEST", logical_id
            recovery = props["PointInTimeRecoverySpecification"]
            assert recovery["PointInTimeRecoveryEnabled"] is True, logical_id
            assert props["DeletionProtectionEnabled"] is True, logical_id
            assert resource["DeletionPolicy"] == "Retain", logical_id
            assert "StreamSpecification" not in props, logical_id


# --- storage -----------------------------------------------------------------------


def bucket_policies(template: dict) -> dict[str, list[dict]]:
    """Bucket logical id -> its policy's statements."""
    policies = {}
    for resource in resources(template, "AWS::S3::BucketPolicy").values():
        bucket = resource["Properties"]["Bucket"]["Ref"]
        policies[bucket] = resource["Properties"]["PolicyDocument"]["Statement"]
    return policies


class TestStorage:
    def test_buckets_private_encrypted_tls_only(self, synthesized):
        """Each bucket blocks public access, encrypts with S3-managed keys and refuses
        any request not made over TLS."""
        template = synthesized.templates["storage"]
        buckets = resources(template, "AWS::S3::Bucket")
        assert len(buckets) == 3
        policies = bucket_policies(template)
        for logical_id, resource in buckets.items():
            props = resource["Properties"]
            assert props["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }, logical_id
            rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
            denies_plain_http = [
                s
                for s in policies[logical_id]
                if s["Effect"] == "Deny"
                and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            ]
            assert denies_plain_http, logical_id

    def test_raw_bucket_versioned_with_the_apps_lifecycle_rules(self, synthesized):
        """The raw bucket keeps versions and carries every rule ensure_buckets sets
        (videoplatform.storage.bucket_lifecycle_rules), plus a bucket-wide abort."""
        from videoplatform.storage import bucket_lifecycle_rules

        buckets = resources(synthesized.templates["storage"], "AWS::S3::Bucket")
        raw = next(r for i, r in buckets.items() if i.startswith("RawBucket"))["Properties"]
        assert raw["VersioningConfiguration"] == {"Status": "Enabled"}
        deployed = {rule["Id"]: rule for rule in raw["LifecycleConfiguration"]["Rules"]}
        app_rules = bucket_lifecycle_rules()[settings.S3_RAW_BUCKET]
        assert app_rules
        for rule in app_rules:
            mine = deployed[rule["ID"]]
            assert mine["Status"] == rule["Status"]
            assert mine.get("Prefix") == rule["Filter"]["Prefix"]
            if "AbortIncompleteMultipartUpload" in rule:
                assert (
                    mine["AbortIncompleteMultipartUpload"] == rule["AbortIncompleteMultipartUpload"]
                )
            if "Expiration" in rule:
                assert mine["ExpirationInDays"] == rule["Expiration"]["Days"]
        for bucket in buckets.values():
            aborts = [
                r
                for r in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
                if "AbortIncompleteMultipartUpload" in r and "Prefix" not in r
            ]
            if bucket["Properties"].get("CorsConfiguration"):  # raw and media
                assert aborts

    def test_media_served_only_through_signed_cloudfront(self, synthesized):
        """Every behavior needs the trusted key group and the nosniff headers policy;
        the origin uses Origin Access Control; playlists cache briefly, segments long."""
        from videoplatform.media_headers import RESPONSE_HEADERS_POLICY

        template = synthesized.templates["storage"]
        (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
        config = distribution["Properties"]["DistributionConfig"]
        behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
        assert [b.get("PathPattern") for b in behaviors] == [None, "*.m3u8"]
        for behavior in behaviors:
            assert behavior["TrustedKeyGroups"]
            assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
        assert config["Origins"][0]["OriginAccessControlId"]
        (policy,) = resources(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
        headers = policy["Properties"]["ResponseHeadersPolicyConfig"]
        assert headers["SecurityHeadersConfig"]["ContentTypeOptions"] == {"Override": True}
        csp = RESPONSE_HEADERS_POLICY["SecurityHeadersConfig"]["ContentSecurityPolicy"]
        deployed_csp = headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]
        assert deployed_csp["ContentSecurityPolicy"] == csp["ContentSecurityPolicy"]
        cors = headers["CorsConfig"]
        assert cors["AccessControlAllowOrigins"]["Items"] == ["https://example.com"]
        assert cors["AccessControlAllowCredentials"] is True
        ttls = {
            r["Properties"]["CachePolicyConfig"]["Comment"]: r["Properties"]["CachePolicyConfig"]
            for r in resources(template, "AWS::CloudFront::CachePolicy").values()
        }
        assert ttls["Media playlists"]["DefaultTTL"] <= 60
        assert ttls["Media segments"]["DefaultTTL"] >= 86400
        for policy in ttls.values():
            key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
            assert key["CookiesConfig"]["CookieBehavior"] == "none"
