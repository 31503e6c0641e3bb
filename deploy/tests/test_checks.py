"""cdk-nag, cfn-lint and the alarms over every synthesized stack."""

import csv
import json

from deploy.synth import lint_templates, nag_errors
from deploy.tests.templates import model_tables, resources

# --- checks ------------------------------------------------------------------------


class TestChecks:
    def test_cdk_nag_reports_no_unsuppressed_error(self, synthesized):
        """AwsSolutions checks ran (their report exists) and every finding is fixed or
        accepted with a reason in deploy/nag.py."""
        reports = list(synthesized.outdir.glob("AwsSolutions-*-NagReport.csv"))
        assert len(reports) == len(synthesized.stacks)
        assert nag_errors(synthesized.assembly) == []

    def test_every_suppression_has_a_reason(self, synthesized):
        """The reports list each accepted finding with the reason written for it."""
        suppressed = 0
        for report in synthesized.outdir.glob("AwsSolutions-*-NagReport.csv"):
            for row in csv.DictReader(report.read_text().splitlines()):
                assert row["Compliance"] in {"Compliant", "Suppressed", "Non-Compliant", "N/A"}
                if row["Compliance"] == "Suppressed":
                    suppressed += 1
                    assert len(row["Exception Reason"]) > 30, row
        assert suppressed > 0

    def test_cfn_lint_finds_no_error(self, synthesized):
        """cfn-lint passes every synthesized template without an error."""
        assert lint_templates(synthesized.outdir, "us-east-1") == []

    def test_alarms_cover_the_failure_modes(self, synthesized):
        """Alarms watch the 5xx rate, the dead-letter queue, every table's throttling
        and MediaConvert errors, and notify the topic."""
        template = synthesized.templates["operations"]
        alarms = resources(template, "AWS::CloudWatch::Alarm")
        text = json.dumps(alarms)
        for metric in (
            "HTTPCode_Target_5XX_Count",
            "ApproximateNumberOfMessagesVisible",
            "WriteThrottleEvents",
            "JobsErroredCount",
        ):
            assert metric in text, metric
        throttled = [a for a in alarms if a.startswith("Throttles")]
        assert len(throttled) == len(model_tables())
        for alarm in alarms.values():
            assert alarm["Properties"]["AlarmActions"]
