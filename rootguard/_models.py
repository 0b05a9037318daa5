"""Typed models of CloudTrail records and of root activity (pure).

AWS input models are frozen and keep unknown fields (``extra="allow"``), so that a record
parsed and dumped again (``model_dump(mode="json", by_alias=True, exclude_unset=True)``)
is the record that came in. Field names are snake_case; the camelCase AWS names are the
aliases.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic.alias_generators import to_camel

from rootguard._errors import json_indent
from rootguard._vocabulary import Severity, StrEnum

__all__ = [
    "ActivitySource",
    "AwsBool",
    "Channel",
    "CloudTrailEvent",
    "Expectation",
    "LenientBool",
    "Outcome",
    "RootActivities",
    "RootActivity",
    "SessionAttributes",
    "SessionContext",
    "SessionIssuer",
    "Severity",
    "StrEnum",
    "UserIdentity",
    "UtcDatetime",
]


def _parse_aws_bool(value: Any) -> Any:
    """AWS writes booleans as ``"true"``/``"false"`` strings in many places."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return value


def _dump_aws_bool(value: bool | None) -> str | None:
    if value is None:
        return None
    return "true" if value else "false"


AwsBool = Annotated[
    bool | None,
    BeforeValidator(_parse_aws_bool),
    PlainSerializer(_dump_aws_bool, return_type=str | None),
]
"""A boolean that AWS sends as the string ``"true"`` or ``"false"`` (and dumps back so)."""

LenientBool = Annotated[bool | None, BeforeValidator(_parse_aws_bool)]
"""A boolean that AWS sends as JSON ``true``/``false`` (strings accepted on input)."""


def _to_utc(value: Any) -> Any:
    """Naive times (``2022-03-16 19:17:41``, as some exporters write them) are UTC."""
    if isinstance(value, str) and 10 <= len(value) <= 40:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_to_utc)]


class _AwsModel(BaseModel):
    """Base of AWS input models: frozen, camelCase aliases, unknown fields kept."""

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        ser_json_timedelta="iso8601",
    )


class SessionIssuer(_AwsModel):
    """``userIdentity.sessionContext.sessionIssuer``: who issued a temporary session."""

    type: str | None = None
    principal_id: str | None = None
    arn: str | None = None
    account_id: str | None = None
    user_name: str | None = None


class SessionAttributes(_AwsModel):
    """``userIdentity.sessionContext.attributes``."""

    mfa_authenticated: AwsBool = None
    creation_date: UtcDatetime | None = None


class SessionContext(_AwsModel):
    """``userIdentity.sessionContext``."""

    attributes: SessionAttributes | None = None
    session_issuer: SessionIssuer | None = None
    source_identity: str | None = None
    assumed_root: AwsBool = None
    web_id_federation_data: dict[str, Any] | None = None
    ec2_role_delivery: str | None = None


class UserIdentity(_AwsModel):
    """``userIdentity`` of a CloudTrail record.

    ``type`` is an open AWS vocabulary (``Root``, ``IAMUser``, ``AssumedRole``,
    ``FederatedUser``, ``AWSService``, ``AWSAccount``, ``Unknown`` ...), kept as ``str``.
    """

    type: str | None = None
    principal_id: str | None = None
    arn: str | None = None
    account_id: str | None = None
    access_key_id: str | None = None
    user_name: str | None = None
    invoked_by: str | None = None
    identity_provider: str | None = None
    session_context: SessionContext | None = None


class CloudTrailEvent(_AwsModel):
    """One CloudTrail record (management, data, sign-in or service event).

    Examples:
        >>> import rootguard
        >>> ev = rootguard.parse_cloudtrail_event(
        ...     {"eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}}
        ... )
        >>> ev.user_identity.type
        'Root'
    """

    event_version: str | None = None
    user_identity: UserIdentity | None = None
    event_time: UtcDatetime | None = None
    event_source: str | None = None
    event_name: str | None = None
    aws_region: str | None = None
    source_ip_address: str | None = Field(default=None, alias="sourceIPAddress")
    user_agent: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    request_parameters: dict[str, Any] | None = None
    response_elements: dict[str, Any] | None = None
    additional_event_data: dict[str, Any] | None = None
    request_id: str | None = Field(default=None, alias="requestID")
    event_id: str | None = Field(default=None, alias="eventID")
    event_type: str | None = None
    read_only: LenientBool = None
    recipient_account_id: str | None = None
    event_category: str | None = None
    management_event: LenientBool = None
    session_credential_from_console: AwsBool = None
    shared_event_id: str | None = Field(default=None, alias="sharedEventID")
    vpc_endpoint_id: str | None = None
    api_version: str | None = None
    resources: list[dict[str, Any]] | None = None
    tls_details: dict[str, Any] | None = None

    _raw: dict[str, Any] | None = PrivateAttr(default=None)
    """The record exactly as it was parsed (set by ``parse_cloudtrail_event`` and
    ``read_cloudtrail_file``), so that ``to_record()`` gives back the very same record even
    where AWS's spelling is not canonical (``"...00.000Z"``, ``"True"`` ...)."""

    def to_record(self) -> dict[str, Any]:
        """The record as CloudTrail wrote it (camelCase keys, unknown fields kept).

        For an event from ``parse_cloudtrail_event`` / ``read_cloudtrail_file`` this is a
        copy of the parsed record itself; for a model built in Python it is the
        by-alias dump of the fields that were set.
        """
        if self._raw is not None:
            return copy.deepcopy(self._raw)
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        # A JSON dump by alias of the set fields *is* the record: give back the original
        # text's structure, so that a JSON round trip is exact.
        if (
            self._raw is not None
            and info.mode == "json"
            and info.by_alias
            and info.exclude_unset
            and not info.exclude_none
            and not info.exclude_defaults
            and info.include is None
            and info.exclude is None
        ):
            return self._raw
        return handler(self)

    def __eq__(self, other: object) -> bool:
        # Equal when the parsed content is equal; how the source spelled it (``_raw``)
        # does not take part.
        if not isinstance(other, CloudTrailEvent):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and (self.__pydantic_extra__ or {}) == (other.__pydantic_extra__ or {})
        )

    def __hash__(self) -> int:
        return hash((type(self), self.event_id, self.event_time, self.event_name))

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> CloudTrailEvent:
        """A copy; with ``update`` the original record no longer applies and is dropped."""
        copied = super().model_copy(update=update, deep=deep)
        if update:
            copied._raw = None
        return copied


class Channel(StrEnum):
    """How the root user acted (see docs/channels.md)."""

    CONSOLE_SIGNIN = "console_signin"
    CONSOLE_SESSION = "console_session"
    ACCESS_KEY = "access_key"
    ASSUMED_ROOT = "assumed_root"
    TEMPORARY_CREDENTIALS = "temporary_credentials"
    FEDERATED = "federated"
    SERVICE_INVOKED = "service_invoked"
    AWS_SERVICE_EVENT = "aws_service_event"
    CREDENTIAL_REPORT = "credential_report"
    """Only for activities derived from a credential report (last-used dates)."""


class Outcome(StrEnum):
    """Whether the root action succeeded."""

    SUCCESS = "success"
    FAILURE = "failure"


class ActivitySource(StrEnum):
    """Where a root activity was seen."""

    CREDENTIAL_REPORT = "credential_report"
    CLOUDTRAIL = "cloudtrail"
    EVENT_HISTORY = "event_history"
    EVENTBRIDGE = "eventbridge"


class Expectation(BaseModel):
    """Why a root activity was expected: the reason and expiry of the
    ``Policy.expected_activity`` rule that matched it. ``expired`` rules still show
    (the output says so) but no longer make the activity expected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str
    expires: date
    expired: bool = False


class RootActivity(BaseModel):
    """One use of the root user, from a CloudTrail record or a credential report.

    ``alert`` is False only for the CIS exclusions (``service_invoked`` and
    ``aws_service_event``); ``cis_match`` says whether the CIS AWS Foundations metric
    filter would have matched the record.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str | None = None
    event_time: UtcDatetime | None = None
    account_id: str | None = None
    region: str | None = None
    event_source: str | None = None
    event_name: str | None = None
    channel: Channel
    outcome: Outcome = Outcome.SUCCESS
    mfa_used: bool | None = None
    access_key_id: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    error_code: str | None = None
    read_only: bool | None = None
    alert: bool = True
    cis_match: bool = False
    severity: Severity
    source: ActivitySource = ActivitySource.CLOUDTRAIL
    actor_arn: str | None = None
    """Who acted: the root ARN, or for ``assumed_root`` the IAM principal that called
    AssumeRoot."""
    task_policy_arn: str | None = None
    """For ``assumed_root``: the task policy the session was limited to."""
    related_event_ids: tuple[str, ...] = ()
    """Other records of the same action (the AssumeRoot call and the member-account calls
    of that session are related both ways)."""
    credential: str | None = None
    """For credential-report activities: ``password``, ``access_key_1``, ``access_key_2``."""
    expected: Expectation | None = None
    """Set when a rule of ``Policy.expected_activity`` matched (see
    :meth:`rootguard.Policy.mark_expected`): the activity is still reported, marked."""

    @property
    def is_expected(self) -> bool:
        """True when a rule that has not expired marks this activity as expected."""
        return self.expected is not None and not self.expected.expired

    def to_json(self, *, indent: int | None = None) -> str:
        """The activity as JSON (``RootActivity.model_validate_json`` reads it back)."""
        return self.model_dump_json(indent=json_indent(indent))

    def to_record(self) -> dict[str, str | int | float | bool | None]:
        """The activity as one flat record (see :meth:`RootActivities.to_records`)."""
        from rootguard._render import activity_records

        return activity_records([self])[0]


class RootActivities(list[RootActivity]):
    """A ``list[RootActivity]`` that can save and show itself: what
    :func:`~rootguard.detect_root_activity`,
    :func:`~rootguard.root_activity_from_credential_report` and
    :func:`~rootguard.lookup_root_activity` return.

    Examples:
        >>> import rootguard
        >>> acts = rootguard.detect_root_activity([{
        ...     "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
        ...     "eventTime": "2026-11-20T10:00:00Z", "sourceIPAddress": "198.51.100.7",
        ...     "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
        ...     "responseElements": {"ConsoleLogin": "Success"},
        ...     "additionalEventData": {"MFAUsed": "No"}}])
        >>> [(r["channel"], r["source_ip"], r["severity"]) for r in acts.to_records()]
        [('console_signin', '198.51.100.7', 'high')]
        >>> rootguard.RootActivities.from_json(acts.to_json()) == acts
        True
    """

    def to_json(self, *, indent: int | None = 2) -> str:
        """A JSON array of the activities (:meth:`from_json` reads it back, equal)."""
        import json

        return json.dumps([a.model_dump(mode="json") for a in self], indent=json_indent(indent))

    @classmethod
    def from_json(cls, data: str | bytes) -> RootActivities:
        """Read activities written by :meth:`to_json`.

        Raises:
            ParseError: the text is not a JSON array of root activities.
        """
        from pydantic import TypeAdapter, ValidationError

        from rootguard._errors import ParseError

        try:
            return cls(TypeAdapter(list[RootActivity]).validate_json(data))
        except ValidationError as exc:
            raise ParseError(f"not rootguard root activities: {exc.errors()[0]['msg']}") from None

    def to_records(self) -> list[dict[str, str | int | float | bool | None]]:
        """One flat record per activity, scalars only (``pandas.DataFrame(records)`` as
        is): every field of :class:`RootActivity` (times as ISO text, related event ids
        ``"; "``-joined), and for an activity a rule of ``Policy.expected_activity``
        matched ``expected_reason``, ``expected_until`` and ``expected_expired``."""
        from rootguard._render import activity_records

        return activity_records(self)

    def _repr_html_(self) -> str:
        from rootguard._view import activities_view

        return activities_view(self, title=f"{len(self)} root activities").html()

    def _repr_markdown_(self) -> str:
        from rootguard._view import activities_view

        return activities_view(self, title=f"{len(self)} root activities").markdown()
