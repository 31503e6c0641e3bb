"""Search: an Amazon OpenSearch Service domain in the app's VPC.

It lives in the compute stack, beside the VPC and the services that call it: a stack
of its own would need the VPC from compute while compute needs its endpoint.

Two data nodes in the two zones of the private subnets (the index keeps one replica,
so either node's loss leaves every document searchable), encrypted at rest and between
nodes, HTTPS only with TLS 1.2. Access is IAM: the domain's policy defers to the
account's identity policies, and only the task roles of the processes that search or
index are given es:ESHttp* on it (deploy/iam.py); every request is signed (SigV4). The
index is derived data: ``manage.py search_reindex`` rebuilds it from DynamoDB.
"""

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from constructs import Construct

from deploy.config import DeployConfig

ENGINE_VERSION = "2.19"
HTTP_ACTIONS = ["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class SearchDomain(Construct):
    def __init__(self, scope: Construct, id: str, *, config: DeployConfig, vpc: ec2.IVpc):
        super().__init__(scope, id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Search domain: HTTPS from the app tasks only",
            allow_all_outbound=False,
        )
        log_groups = {
            name: logs.LogGroup(
                self, f"{name}Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
            )
            for name in ("SlowSearch", "SlowIndex", "App")
        }
        stack = Stack.of(self)
        own_arn = stack.format_arn(
            service="es", resource="domain", resource_name=config.search_domain_name
        )
        # The service writes the domain's logs (a resource policy of CloudWatch Logs, made
        # here rather than by the construct's custom resource and its Lambda function).
        logs_policy = logs.ResourcePolicy(
            self,
            "LogsPolicy",
            policy_statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("es.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[group.log_group_arn for group in log_groups.values()],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": own_arn},
                    },
                )
            ],
        )
        nodes = config.search_data_nodes
        self.domain = opensearch.Domain(
            self,
            "Domain",
            domain_name=config.search_domain_name,
            version=opensearch.EngineVersion.open_search(ENGINE_VERSION),
            capacity=opensearch.CapacityConfig(
                data_nodes=nodes,
                data_node_instance_type=config.search_instance_type,
                multi_az_with_standby_enabled=False,
            ),
            ebs=opensearch.EbsOptions(
                volume_size=config.search_volume_gb, volume_type=ec2.EbsDeviceVolumeType.GP3
            ),
            zone_awareness=opensearch.ZoneAwarenessConfig(
                enabled=nodes > 1, availability_zone_count=2 if nodes > 1 else None
            ),
            vpc=vpc,
            # One subnet per zone the nodes are spread over.
            vpc_subnets=[ec2.SubnetSelection(subnets=vpc.private_subnets[: 2 if nodes > 1 else 1])],
            security_groups=[self.security_group],
            encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True),
            node_to_node_encryption=True,
            enforce_https=True,
            tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2,
            logging=opensearch.LoggingOptions(
                slow_search_log_enabled=True,
                slow_search_log_group=log_groups["SlowSearch"],
                slow_index_log_enabled=True,
                slow_index_log_group=log_groups["SlowIndex"],
                app_log_enabled=True,
                app_log_group=log_groups["App"],
            ),
            suppress_logs_resource_policy=True,
            enable_auto_software_update=True,
            # Derived data: rebuilt from DynamoDB by search_reindex.
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.domain.node.add_dependency(logs_policy)
        # Set on the resource itself, by name (the construct's own access_policies would
        # add a custom resource and its Lambda function; the domain's ARN attribute
        # cannot appear in its own properties).
        self.domain.node.default_child.access_policies = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    principals=[iam.AccountRootPrincipal()],
                    actions=HTTP_ACTIONS,
                    resources=[f"{own_arn}/*"],
                )
            ]
        ).to_json()

    @property
    def endpoint_url(self) -> str:
        return f"https://{self.domain.domain_endpoint}"

    @property
    def environment(self) -> dict[str, str]:
        """What the app reads to use the domain (videoplatform/settings.py, Search)."""
        return {
            "SEARCH_BACKEND": "opensearch",
            "OPENSEARCH_ENDPOINT": self.endpoint_url,
            "OPENSEARCH_SERVICE": "es",
        }

    def allow_from(self, *peers: ec2.IConnectable) -> None:
        for peer in peers:
            self.security_group.connections.allow_from(
                peer, ec2.Port.tcp(443), "HTTPS to the search domain"
            )
