"""Remediation (private subpackage): plan what is missing, then apply it.

- :mod:`._options` — :class:`RemediationOptions`; :mod:`._constants` — names and tags;
- :mod:`._actions` — the typed actions; :mod:`._plan` — :class:`Plan` and blocked items;
- pure planner families, each a set of functions taking a frozen
  :class:`~._context.PlanContext`: :mod:`._trail` and :mod:`._storage` (the trail and its
  bucket, log group and roles), :mod:`._topic` (the alert topic and its encryption),
  :mod:`._alerting` (metric filter, alarm, EventBridge), :mod:`._config` (AWS Config),
  :mod:`._manual` (root credentials); :mod:`._planner` runs them in order;
- I/O: :mod:`._apply` (the apply loop) and :mod:`._handlers` (one handler per action
  class, registered by class).

Only the pure modules are imported here; the apply modules import boto3.
"""
