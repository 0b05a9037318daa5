"""Posture evaluation (private subpackage): an ``AccountSnapshot`` in, a ``Report`` out.

All pure (never imports boto3/botocore; ``now`` is a parameter):

- ``_catalogue`` — the one catalogue of checks: :class:`~rootguard.CheckId`, ``CheckInfo``
  (title, short name, severity, controls, remediation), ``CHECKS``, the id tuples,
  ``PLANNED_CHECKS`` and ``abbreviation`` (a check's column name in the organization matrix);
- ``_models`` — ``Status``, ``SuppressionNote``, ``Finding``, ``DerivedFieldsModel``;
  ``_policy`` — :class:`~rootguard.Policy`; ``_report`` — :class:`~rootguard.Report`;
- ``_context`` — ``Ctx``, the evaluation context every check family writes findings
  to, and ``Tri`` (three-valued outcomes);
- one module per check family, each a set of functions of the context: ``_root``
  (root credentials, centralized root access), ``_trails`` (trails and CloudWatch Logs
  delivery), ``_alarm`` (metric filter > alarm > topic chain, and topic delivery),
  ``_eventbridge``, ``_config`` (AWS Config), ``_topic_policy`` (alert-topic policies);
- ``_evaluate`` — :func:`~rootguard.evaluate`: runs the families in order, then
  expected activity, suppressions, check selection and sorting.

Nothing is imported here.
"""
