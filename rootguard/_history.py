"""lookup_root_activity: root activity from CloudTrail event history (I/O).

CloudTrail's ``LookupEvents`` keeps 90 days of management events per region, takes at
most one lookup attribute per request, and allows 2 requests per second per account and
region. What is asked, per region:

1. ``Username = root`` — event history files every record of a ``Root`` identity under
   the user name ``root``: console sign-ins (successful or not), API calls with root
   access keys, root console sessions, assumed-root sessions in a member account. It
   also returns IAM users literally named ``root``; detection drops those.
2. ``EventName = AssumeRoot`` — the ``sts:AssumeRoot`` calls of centralized root access
   are made by an IAM principal of the management (or delegated-admin) account, so they
   are not under ``root``; they are root activity of the target account.

Not found this way: calls made by a federated user whose session root opened with
``GetFederationToken`` (the ``GetFederationToken`` call itself is found). Pass
``exhaustive=True`` to read every management event of the window instead (no lookup
attribute; at 50 events per request and 2 requests/s, about 100 events/s per region) —
or scan the trail's archive with :func:`rootguard.scan_cloudtrail_archive`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

import boto3

from rootguard._aws import (
    ClientFactory,
    GapRecorder,
    MalformedResponse,
    caller_identity,
    discover_regions,
    expect_items,
    requested_regions,
    session_credentials,
)
from rootguard._cloudtrail import parse_cloudtrail_event
from rootguard._detect import detect_root_activity
from rootguard._errors import CollectError, ParseError, count, name_list, time_or_none
from rootguard._models import ActivitySource, CloudTrailEvent, RootActivities, RootActivity
from rootguard._snapshot import Gap
from rootguard._time import as_utc

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient

__all__ = ["EventHistoryResult", "TokenBucket", "lookup_root_activity"]

logger = logging.getLogger(__name__)

LOOKUP_RATE = 2.0
"""LookupEvents requests per second per account and region (AWS's limit)."""

_TARGETED_QUERIES: tuple[dict[str, str] | None, ...] = (
    {"AttributeKey": "Username", "AttributeValue": "root"},
    {"AttributeKey": "EventName", "AttributeValue": "AssumeRoot"},
)


class EventHistoryResult(RootActivities):
    """The root activities found (a ``list[RootActivity]``, oldest first), plus what could
    not be read.

    Attributes:
        gaps: one :class:`~rootguard.Gap` per region whose event history could not be
            read, or not wholly (``cloudtrail`` ``LookupEvents``, the region, the error
            code and message: AWS's code such as ``AccessDeniedException`` or
            ``ThrottlingException``, ``EndpointConnectionError``, ``ReadTimeoutError``,
            ``ResponseParserError`` for an answer that is not AWS's, ``InvalidResponse``
            for an answer that lacks or mistypes a field), one more per region whose
            answer held items that are not CloudTrail records (``InvalidResponse``), and
            one for region discovery when ``regions`` was None and it failed.
        regions: the regions asked.
        events_scanned: how many event-history items were read.
        unparsed: how many items were not valid CloudTrail records (skipped, and
            reported in ``gaps``).
    """

    def __init__(
        self,
        activities: Iterable[RootActivity] = (),
        *,
        gaps: Sequence[Gap] = (),
        regions: Sequence[str] = (),
        events_scanned: int = 0,
        unparsed: int = 0,
    ) -> None:
        super().__init__(activities)
        self.gaps: list[Gap] = list(gaps)
        self.regions: list[str] = list(regions)
        self.events_scanned = events_scanned
        self.unparsed = unparsed

    @property
    def complete(self) -> bool:
        """True when every region's event history was read, every item of it a record."""
        return not self.gaps

    @property
    def unread_regions(self) -> list[str]:
        """The regions asked whose event history could not be read, or not wholly
        (a ``LookupEvents`` request failed there), in the order asked."""
        failed = {g.region for g in self.gaps if g.operation == "LookupEvents"}
        return [r for r in self.regions if r in failed]


class TokenBucket:
    """A thread-safe token bucket: at most ``rate`` acquisitions per second on average,
    ``capacity`` at once. ``clock`` and ``sleep`` are injectable for tests.

    Examples:
        Two acquisitions a second, one at once: the first is free, the next ones wait
        half a second each; after a pause the bucket holds ``capacity`` tokens again,
        never more.

        >>> t = [0.0]  # a fake clock that sleeping moves on
        >>> def sleep(seconds: float) -> None:
        ...     t[0] += seconds
        >>> bucket = TokenBucket(2.0, clock=lambda: t[0], sleep=sleep)
        >>> [bucket.acquire() for _ in range(3)], t[0]
        ([0.0, 0.5, 0.5], 1.0)
        >>> t[0] += 10.0  # ten idle seconds refill one token, not twenty
        >>> [bucket.acquire() for _ in range(2)]
        [0.0, 0.5]
        >>> burst = TokenBucket(2.0, capacity=3.0, clock=lambda: t[0], sleep=sleep)
        >>> [burst.acquire() for _ in range(4)]
        [0.0, 0.0, 0.0, 0.5]
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._last: float | None = None
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until there is one; returns the seconds slept."""
        with self._lock:
            now = self._clock()
            if self._last is not None:
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            wait = (1 - self._tokens) / self.rate
            self._sleep(wait)
            self._tokens = 0.0
            self._last = now + wait
            return wait


def lookup_root_activity(
    *,
    session: boto3.Session | None = None,
    regions: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    exhaustive: bool = False,
    rate_limit: float = LOOKUP_RATE,
    max_workers: int | None = None,
) -> EventHistoryResult:
    """Root activity in CloudTrail event history (the last 90 days), region by region.

    Args:
        session: the boto3 session (None: a default ``boto3.Session()``).
        regions: the regions to read; None means every enabled region.
        since: oldest event time (inclusive); naive datetimes are taken as UTC.
        until: newest event time; None means now.
        exhaustive: read every management event instead of the targeted lookups (see
            the module documentation for what the targeted lookups miss).
        rate_limit: LookupEvents requests per second per region (AWS allows 2).
        max_workers: regions read at once (default: all of them).

    Returns:
        An :class:`EventHistoryResult` — a ``list[RootActivity]`` (``source`` =
        ``event_history``, oldest first) whose ``gaps`` name each region that could not
        be read, or not wholly, with the error: any failure of a request (access denied,
        region not enabled, throttled beyond the retries, connection or read timeout, an
        answer that is not AWS's or lacks a field) ends that region's reading with a gap,
        and the other regions are read and returned. ``complete`` is True only when
        every region was read in full.

    Raises:
        CollectError: no usable credentials, the caller cannot be identified
            (``sts:GetCallerIdentity`` fails in any way), ``since`` after ``until``, or a
            ``rate_limit`` that is not positive. Nothing else: a region that cannot be
            read is a gap, even when it is every region.
        ArgumentError: ``regions`` is a bare string (pass a list) or holds a non-string;
            ``since`` or ``until`` is not a datetime; ``max_workers`` is not a whole
            number of at least 1.

    Examples:
        >>> import rootguard
        >>> found = rootguard.lookup_root_activity(regions=["us-east-1"])
        >>> [(a.event_name, a.channel.value) for a in found], found.gaps
        ([('ConsoleLogin', 'console_signin')], [])
    """
    regions = name_list(regions, "regions", items="region names")  # before any call
    count(max_workers, "max_workers")
    if not rate_limit > 0:
        raise CollectError(f"rate_limit must be positive, not {rate_limit!r}")
    start, end = as_utc(time_or_none(since, "since")), as_utc(time_or_none(until, "until"))
    if start is not None and end is not None and start > end:
        raise CollectError(f"since ({start.isoformat()}) is after until ({end.isoformat()})")
    sess, _ = session_credentials(session)
    wanted, home = requested_regions(sess, regions)
    factory = ClientFactory(sess)
    recorder = GapRecorder()
    _, partition = caller_identity(factory.client("sts", home), "caller")
    if wanted is None:
        wanted, _ = discover_regions(factory, recorder, home, partition)
    queries = (None,) if exhaustive else _TARGETED_QUERIES

    def one_region(region: str) -> list[dict[str, Any]]:
        client = recorder.call(
            "cloudtrail", "LookupEvents", region, lambda: factory.client("cloudtrail", region)
        )
        if client is None:
            return []
        return _lookup_region(
            client,
            region,
            queries=queries,
            start=start,
            end=end,
            bucket=TokenBucket(rate_limit),
            recorder=recorder,
        )

    with ThreadPoolExecutor(
        max_workers=max_workers or max(1, len(wanted)), thread_name_prefix="rootguard-history"
    ) as pool:
        per_region = list(pool.map(one_region, wanted))

    events: list[CloudTrailEvent] = []
    seen: set[str] = set()
    scanned = unparsed = 0
    for region, items in zip(wanted, per_region, strict=True):
        bad: list[str] = []
        for item in items:
            scanned += 1
            event_id = item.get("EventId")
            if isinstance(event_id, str) and event_id:
                if event_id in seen:
                    continue
                seen.add(event_id)
            try:
                events.append(_record_of(item))
            except ParseError as exc:
                bad.append(f"{str(event_id)[:80]}: {exc}")
        if bad:
            unparsed += len(bad)
            logger.warning("%s: %d event-history items skipped: %s", region, len(bad), bad[0])
            recorder.add(
                Gap(
                    service="cloudtrail",
                    operation="LookupEvents",
                    region=region,
                    error_code="InvalidResponse",
                    message=_shorten(
                        f"{len(bad)} event-history item(s) are not CloudTrail records "
                        f"and were skipped (EventId {bad[0]})"
                    ),
                )
            )
    activities = detect_root_activity(events, source=ActivitySource.EVENT_HISTORY)
    activities.sort(key=lambda a: (a.event_time or _EPOCH, a.event_id or ""))
    logger.info(
        "event history: %d root activities in %d events from %d regions (%d gaps)",
        len(activities),
        scanned,
        len(wanted),
        len(recorder.gaps),
    )
    return EventHistoryResult(
        activities,
        gaps=sorted(recorder.gaps, key=lambda g: (g.region or "", g.operation, g.error_code)),
        regions=wanted,
        events_scanned=scanned,
        unparsed=unparsed,
    )


_RECORD_FIELDS = ("eventTime", "eventSource", "eventName", "userIdentity")
"""What every CloudTrail record has: an item whose record lacks one is not a record."""


def _record_of(item: dict[str, Any]) -> CloudTrailEvent:
    """The CloudTrail record of a LookupEvents item.

    Raises:
        ParseError: ``CloudTrailEvent`` is not a JSON string holding a CloudTrail record.
    """
    raw = item.get("CloudTrailEvent")
    if not isinstance(raw, str):
        raise ParseError(f"CloudTrailEvent is a {type(raw).__name__}, not a JSON string")
    event = parse_cloudtrail_event(item)
    present = {
        "eventTime": event.event_time,
        "eventSource": event.event_source,
        "eventName": event.event_name,
        "userIdentity": event.user_identity,
    }
    missing = [name for name in _RECORD_FIELDS if present[name] is None]
    if missing:
        raise ParseError(f"CloudTrailEvent is not a CloudTrail record: no {', '.join(missing)}")
    return event


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _lookup_region(
    client: CloudTrailClient,
    region: str,
    *,
    queries: Sequence[dict[str, str] | None],
    start: datetime | None,
    end: datetime | None,
    bucket: TokenBucket,
    recorder: GapRecorder,
) -> list[dict[str, Any]]:
    """Every LookupEvents item of ``queries`` in one region, page by page within the rate
    limit. The first failed request — or answer that is not a page of items — ends the
    region (recorded as a gap); the items read before it are kept."""
    items: list[dict[str, Any]] = []
    for query in queries:
        params: dict[str, Any] = {"MaxResults": 50}
        if query is not None:
            params["LookupAttributes"] = [query]
        if start is not None:
            params["StartTime"] = start
        if end is not None:
            params["EndTime"] = end
        token: str | None = None
        while True:
            bucket.acquire()
            request = dict(params, NextToken=token) if token else params
            page = recorder.call(
                "cloudtrail", "LookupEvents", region, partial(_page, client, request, token)
            )
            if page is None:
                return items
            found, token = page
            items.extend(found)
            if not token:
                break
    return items


def _page(
    client: CloudTrailClient, request: dict[str, Any], previous: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One LookupEvents page: its items (objects) and the next token (None: the last).

    Raises:
        MalformedResponse: no ``Events`` list of objects, a ``NextToken`` that is not
            text, or the token just sent given back (which would never end).
    """
    answer = client.lookup_events(**request)
    found = expect_items(answer, "Events")
    token = answer.get("NextToken")
    if token is not None and not isinstance(token, str):
        raise MalformedResponse(f"NextToken is a {type(token).__name__}, not a str")
    if token and token == previous:
        raise MalformedResponse("LookupEvents returned the NextToken it was sent")
    return found, token or None
