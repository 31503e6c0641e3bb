"""Alarms: the site failing (load balancer 5xx rate), events the app never took (the
dead-letter queue), DynamoDB throttling, MediaConvert jobs in error. All notify one
SNS topic; subscribe to it with ``-c alarm_email=...`` or by hand."""

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

FIVE_MINUTES = Duration.minutes(5)
# Percent of requests answered 5xx over five minutes.
MAX_5XX_PERCENT = 5


class OperationsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        load_balancer: elbv2.IApplicationLoadBalancer,
        dead_letters: sqs.IQueue,
        table_names: list[str],
        alarm_email: str = "",
        **kwargs,
    ):
        super().__init__(scope, id, **kwargs)
        self.topic = sns.Topic(
            self, "Alarms", display_name="Video platform alarms", enforce_ssl=True
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []

        def lb_metric(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApplicationELB",
                metric_name=name,
                dimensions_map={"LoadBalancer": load_balancer.load_balancer_full_name},
                statistic="Sum",
                period=FIVE_MINUTES,
            )

        error_rate = cloudwatch.MathExpression(
            expression="100 * (elb5xx + target5xx) / MAX([requests, 1])",
            using_metrics={
                "elb5xx": lb_metric("HTTPCode_ELB_5XX_Count"),
                "target5xx": lb_metric("HTTPCode_Target_5XX_Count"),
                "requests": lb_metric("RequestCount"),
            },
            period=FIVE_MINUTES,
            label="5xx percent",
        )
        self._alarm("Site5xxRate", error_rate, MAX_5XX_PERCENT, "More than 5% of requests fail")
        self._alarm(
            "EventsDeadLettered",
            dead_letters.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"
            ),
            0,
            "Events EventBridge could not deliver to the app (see the dead-letter queue)",
        )
        for name in table_names:
            throttles = cloudwatch.MathExpression(
                expression="reads + writes",
                using_metrics={
                    "reads": self._table_metric(name, "ReadThrottleEvents"),
                    "writes": self._table_metric(name, "WriteThrottleEvents"),
                },
                period=FIVE_MINUTES,
                label=f"{name} throttled",
            )
            self._alarm(f"Throttles{name}", throttles, 10, f"{name} requests are throttled")
        self._alarm(
            "MediaConvertErrors",
            cloudwatch.Metric(
                namespace="AWS/MediaConvert",
                metric_name="JobsErroredCount",
                dimensions_map={
                    "Queue": f"arn:aws:mediaconvert:{self.region}:{self.account}:queues/Default"
                },
                statistic="Sum",
                period=FIVE_MINUTES,
            ),
            0,
            "MediaConvert jobs ended in ERROR",
        )

    @staticmethod
    def _table_metric(table: str, name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/DynamoDB",
            metric_name=name,
            dimensions_map={"TableName": table},
            statistic="Sum",
            period=FIVE_MINUTES,
        )

    def _alarm(self, id: str, metric, threshold: float, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
