"""AWS Config (pure): ``config.root_rules``."""

from __future__ import annotations

from typing import Any

from rootguard._judge import (
    active_managed_rules,
    records_iam,
)
from rootguard._posture._catalogue import CheckId
from rootguard._posture._context import Ctx, Tri, join_some
from rootguard._posture._models import Status
from rootguard._snapshot import (
    ConfigRecorder,
)


def _records_iam(recorder: ConfigRecorder) -> bool | None:
    return records_iam(recorder.recording_group)


def check_config(ctx: Ctx) -> None:
    check = CheckId.CONFIG_ROOT_RULES
    required = tuple(ctx.policy.required_config_rules)
    regions = sorted(set(ctx.snapshot.region_data) | set(ctx.snapshot.regions))
    per_region: dict[str, dict[str, Any]] = {}
    unknown: list[str] = []
    passing_region: str | None = None
    iam_regions: list[str] = []
    for region in regions:
        entry: dict[str, Any] = {}
        per_region[region] = entry
        rd = ctx.snapshot.region_data.get(region)
        if rd is None:
            unknown.append(f"region {region} has no collected data")
            entry["collected"] = False
            continue
        recording: bool | None
        if rd.config_recorders is None:
            text, _ = ctx.missing(
                f"the Config recorders of {region}",
                "config",
                ("DescribeConfigurationRecorders", "DescribeConfigurationRecorderStatus"),
                region=region,
            )
            unknown.append(text)
            recording = None
        else:
            states = [r.recording for r in rd.config_recorders]
            recording = Tri.best(states)
            entry["recorders"] = [
                {"name": r.name, "recording": r.recording, "records_iam": _records_iam(r)}
                for r in sorted(rd.config_recorders, key=lambda r: r.name)
            ]
            if any(r.recording and _records_iam(r) for r in rd.config_recorders):
                iam_regions.append(region)
            if recording is None:
                unknown.append(f"the recorder status of {region} was not read")
        entry["recording"] = recording
        present: set[str] = set()
        if rd.config_rules is None:
            text, _ = ctx.missing(
                f"the Config rules of {region}", "config", ("DescribeConfigRules",), region=region
            )
            unknown.append(text)
            rules_known = False
        else:
            rules_known = True
            present = active_managed_rules(rd.config_rules) & set(required)
            entry["rules"] = sorted(present)
            entry["compliance"] = {
                r.source_identifier: r.compliance
                for r in rd.config_rules
                if r.source_identifier in required and r.compliance is not None
            }
        if rules_known and recording and set(required) <= present and passing_region is None:
            passing_region = region
    evidence = {
        "required_rules": list(required),
        "regions": per_region,
        "iam_recorded_in": iam_regions,
    }
    resource = ctx.account_resource
    if passing_region is not None and iam_regions:
        ctx.add(
            check,
            Status.PASS,
            region=passing_region,
            resource=resource,
            detail=f"AWS Config is recording in {passing_region} with "
            + " and ".join(required)
            + f"; IAM resources are recorded in {', '.join(iam_regions)}.",
            evidence=evidence,
        )
        return
    if not regions:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=resource,
            detail="No region was collected, so AWS Config cannot be judged.",
            evidence=evidence,
        )
        return
    if unknown:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=resource,
            detail="No region is known to qualify, and some could not be judged: "
            + join_some(unknown, 4)
            + ".",
            evidence=evidence,
        )
        return
    problems = []
    if passing_region is None:
        recording_regions = [r for r in regions if per_region[r].get("recording")]
        if not recording_regions:
            problems.append("no configuration recorder is recording in any collected region")
        else:
            for r in recording_regions:
                missing = [x for x in required if x not in per_region[r].get("rules", [])]
                problems.append(f"{r} is recording but lacks the rule(s) {', '.join(missing)}")
    if not iam_regions:
        problems.append("no recording recorder records IAM (global) resources")
    ctx.add(
        check,
        Status.FAIL,
        resource=resource,
        detail="AWS Config does not evaluate root MFA and root access keys: "
        + join_some(problems, 4)
        + ".",
        evidence=evidence,
    )
