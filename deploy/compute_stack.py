"""Compute: the web service behind an HTTPS load balancer, the notification and search
workers, the two reconcile loops and the one-off maintenance task, all from one image;
the search domain they call, in their VPC (deploy/search_domain.py).

Reconcile runs as two small services with ``--every`` rather than as scheduled
RunTasks: a pass takes seconds and should come every minute, while a Fargate task
takes about as long to start; a schedule would pay that start each minute and could
overlap a slow pass with the next. One long-lived task per loop (never two at once:
deployments stop the old one first) is what the local stack runs too.

Each process has its own task role holding only the actions it calls (``iam.py``).
"""

import dataclasses
from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from constructs import Construct

from deploy.config import DeployConfig
from deploy.iam import TaskPermissions, task_statements
from deploy.search_domain import SearchDomain

WEB_PORT = 8000
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
RECONCILE_EVERY_S = 60
# Never sent to the image build: local data, virtualenvs, tool downloads, synth output.
IMAGE_EXCLUDES = [
    ".git",
    ".venv",
    ".local",
    ".data",
    ".bench",
    "cdk.out",
    "**/__pycache__",
    "**/node_modules",
    "test-results",
]

# Processes besides the web server: name -> (command, CPU units, memory MiB).
WORKERS = {
    "NotificationWorker": (["python", "manage.py", "notification_worker"], 256, 512),
    # Drains the pending-index queue into the search domain.
    "SearchWorker": (["python", "manage.py", "search_worker"], 256, 512),
    "ReconcileTranscodes": (
        ["python", "manage.py", "reconcile_transcodes", "--every", str(RECONCILE_EVERY_S)],
        256,
        512,
    ),
    "ReconcileLive": (
        ["python", "manage.py", "reconcile_live", "--every", str(RECONCILE_EVERY_S)],
        256,
        512,
    ),
}
# Run once per deploy by deploy/run_task.py (make deploy): brings items written under
# an older key design to the current one. It runs ensure_tables first, which finds every
# table made by the data stack. The tables' indexes are the data stack's to change.
MAINTENANCE_COMMAND = ["python", "manage.py", "migrate_data", "--keep-old-indexes"]


class ComputeStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: DeployConfig,
        image_directory: Path,
        environment: dict[str, str],
        secrets: dict[str, ecs.Secret],
        permissions: TaskPermissions,
        logs_bucket,
        **kwargs,
    ):
        super().__init__(scope, id, **kwargs)
        self.app_secrets = secrets
        self.vpc = ec2.Vpc(
            self,
            "Network",
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            ],
        )
        flow_logs = logs.LogGroup(
            self, "FlowLogs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.vpc.add_flow_log(
            "FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs)
        )
        self.search = SearchDomain(self, "Search", config=config, vpc=self.vpc)
        self.app_env = {**environment, **self.search.environment}
        self.permissions = dataclasses.replace(
            permissions, search_domain_arn=self.search.domain.domain_arn
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        asset = ecr_assets.DockerImageAsset(
            self,
            "AppImage",
            directory=str(image_directory),
            exclude=IMAGE_EXCLUDES,
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        self.image = ecs.ContainerImage.from_docker_image_asset(asset)
        self.roles: dict[str, iam.Role] = {}

        self._web(config, logs_bucket)
        self.worker_services = {}
        for name, (command, cpu, memory) in WORKERS.items():
            task = self._task(name, command=command, cpu=cpu, memory=memory)
            self.worker_services[name] = ecs.FargateService(
                self,
                f"{name}Service",
                cluster=self.cluster,
                task_definition=task,
                desired_count=1,
                # One at a time: a reconcile pass is not meant to run twice at once.
                min_healthy_percent=0,
                max_healthy_percent=100,
                circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
                vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            )
        self.maintenance_task = self._task(
            "Maintenance", command=MAINTENANCE_COMMAND, cpu=512, memory=1024
        )
        self.maintenance_security_group = ec2.SecurityGroup(
            self, "MaintenanceTasks", vpc=self.vpc, description="One-off maintenance tasks"
        )
        # Only the processes that search or index (deploy/iam.py) reach the domain.
        self.search.allow_from(
            self.web.service,
            self.worker_services["SearchWorker"],
            self.maintenance_security_group,
        )
        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
        CfnOutput(
            self, "MaintenanceTaskDefinition", value=self.maintenance_task.task_definition_arn
        )
        CfnOutput(
            self,
            "MaintenanceSubnets",
            value=",".join(s.subnet_id for s in self.vpc.private_subnets),
        )
        CfnOutput(
            self,
            "MaintenanceSecurityGroup",
            value=self.maintenance_security_group.security_group_id,
        )

    def _task(
        self, name: str, *, command: list[str] | None, cpu: int, memory: int, port: int = 0
    ) -> ecs.FargateTaskDefinition:
        role = iam.Role(
            self,
            f"{name}TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"{name}: only the AWS actions this process calls",
        )
        for statement in task_statements(name, self.permissions):
            role.add_to_policy(statement)
        self.roles[name] = role
        task = ecs.FargateTaskDefinition(
            self,
            f"{name}Task",
            cpu=cpu,
            memory_limit_mib=memory,
            task_role=role,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        log_group = logs.LogGroup(
            self, f"{name}Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        task.add_container(
            "app",
            image=self.image,
            command=command,
            environment=self.app_env,
            secrets=self.app_secrets,
            logging=ecs.LogDrivers.aws_logs(stream_prefix=name, log_group=log_group),
            port_mappings=[ecs.PortMapping(container_port=port)] if port else None,
            readonly_root_filesystem=False,
            stop_timeout=Duration.seconds(30),
        )
        return task

    def _web(self, config: DeployConfig, logs_bucket) -> None:
        # The image's own command starts gunicorn (Dockerfile).
        task = self._task("Web", command=None, cpu=1024, memory=2048, port=WEB_PORT)
        zone = None
        if config.hosted_zone_id:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.domain
            )
        self.web = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            "Web",
            cluster=self.cluster,
            task_definition=task,
            desired_count=2,
            min_healthy_percent=100,
            public_load_balancer=True,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificate=acm.Certificate.from_certificate_arn(
                self, "SiteCertificate", config.certificate_arn
            ),
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            redirect_http=True,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            task_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            health_check_grace_period=Duration.seconds(60),
        )
        self.web.target_group.configure_health_check(
            path="/healthz",
            healthy_http_codes="200",
            interval=Duration.seconds(15),
            healthy_threshold_count=2,
            unhealthy_threshold_count=3,
        )
        self.web.target_group.set_attribute("deregistration_delay.timeout_seconds", "30")
        self.web.load_balancer.log_access_logs(logs_bucket, prefix="alb")
        self.web.load_balancer.set_attribute(
            "routing.http.drop_invalid_header_fields.enabled", "true"
        )
        scaling = self.web.service.auto_scale_task_count(min_capacity=2, max_capacity=20)
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
        scaling.scale_on_request_count(
            "Requests", requests_per_target=600, target_group=self.web.target_group
        )
        if zone is not None:
            route53.ARecord(
                self,
                "SiteAlias",
                zone=zone,
                target=route53.RecordTarget.from_alias(
                    route53_targets.LoadBalancerTarget(self.web.load_balancer)
                ),
            )
