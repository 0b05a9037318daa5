"""Remediation (private subpackage): plan what is missing, then apply it.

Pure (never imports boto3/botocore):

- ``_constants`` — tags, names, the EventBridge pattern, prices; ``_options`` —
  :class:`~rootguard.RemediationOptions`;
- ``_actions`` — one class per API call, each declaring the IAM actions apply needs
  (``IAM_ACTIONS``) and the blocked kind it falls under (``BLOCKED_AS``); ``_plan`` —
  :class:`~rootguard.Plan` and blocked items;
- ``_context`` — the frozen ``PlanContext`` every planner family receives, and
  ``PlanOutput``, the only thing the families write to;
- one planner module per family, each a set of functions of the context: ``_trail`` and
  ``_storage`` (the trail, its bucket, log group and roles), ``_topic`` (the alert topic,
  its policy, encryption key and subscribers), ``_alerting`` (metric filter, alarm,
  EventBridge), ``_config`` (AWS Config), ``_manual`` (root credentials); ``_planner``
  decides the home region and runs the families in order (:func:`~rootguard.plan`).

I/O: ``_outcomes`` (what apply reports), ``_handling`` (the handler registry, keyed by
action class), ``_handlers_trail`` and ``_handlers_alerting`` (one handler per action
class), ``_apply`` (the apply loop, :func:`~rootguard.apply`).

Nothing is imported here: the pure modules stay importable without boto3.
"""
