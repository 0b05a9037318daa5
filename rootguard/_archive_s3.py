"""S3 archives for ``rootguard._archive``: listing a prefix (pruned by CloudTrail's key
layout, folder by folder while the filters can still prune something below, then one flat
paginated listing per folder), the bucket's region, and what workers need to read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import ClientError

from rootguard._archive_layout import FileRef, Layout, Pruner, Walk, classify, layout
from rootguard._aws import CALL_ERRORS, CREDENTIAL_ERRORS, RETRY_CONFIG, error_code, error_message
from rootguard._errors import ScanError
from rootguard._fastscan import SkippedFile, SkipReason
from rootguard._sessions import SessionSettings, settings_of, share_client

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectsV2OutputTypeDef, ObjectTypeDef

S3_CONFIG: Final = RETRY_CONFIG.merge(Config(max_pool_connections=32))
"""The S3 clients' configuration: retries, and a connection pool for parallel reads."""


def split_s3(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` as ``(bucket, key)``.

    Raises:
        ScanError: not an S3 URL.
    """
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ScanError(f"not an S3 URL (s3://bucket/prefix): {url!r}")
    return parts.netloc, parts.path.lstrip("/")


class S3Lister:
    """Lists an S3 prefix, pruning by layout, folder by folder while it pays."""

    def __init__(self, client: S3Client, bucket: str, pruner: Pruner, walk: Walk) -> None:
        self.client = client
        self.bucket = bucket
        self.pruner = pruner
        self.walk = walk
        self.list_calls = 0

    def _pages(self, prefix: str, delimiter: bool) -> Iterator[ListObjectsV2OutputTypeDef]:
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            params["Delimiter"] = "/"
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(**params):
                self.list_calls += 1
                yield page
        except CREDENTIAL_ERRORS as exc:
            raise ScanError(f"no usable AWS credentials: {exc}") from None
        except CALL_ERRORS as exc:
            raise ScanError(
                f"cannot list s3://{self.bucket}/{prefix}: {error_code(exc)}: {error_message(exc)}"
            ) from None

    def _file(self, obj: ObjectTypeDef) -> FileRef | None:
        key: str = obj["Key"]
        path = f"s3://{self.bucket}/{key}"
        if key.endswith("/"):
            self.walk.skipped.append(
                SkippedFile(path=path, reason=SkipReason.NOT_A_LOG_FILE, detail="folder marker")
            )
            return None
        folders = key.split("/")
        name = folders.pop()
        return classify(
            path,
            folders,
            name,
            self.pruner,
            self.walk,
            listed=True,
            size=int(obj.get("Size") or 0),
            bucket=self.bucket,
            key=key,
        )

    def walk_prefix(self, prefix: str) -> Iterator[FileRef]:
        if prefix and not prefix.endswith("/"):
            # A partial name: list what starts with it, one level down.
            yield from self._level(prefix)
            return
        lay = layout(prefix.rstrip("/").split("/")) if prefix else Layout()
        if self.pruner.prunes(lay):
            return
        if not self.pruner.prunes_below(lay):
            for page in self._pages(prefix, delimiter=False):
                for obj in page.get("Contents") or ():
                    ref = self._file(obj)
                    if ref is not None:
                        yield ref
            return
        yield from self._level(prefix)

    def _level(self, prefix: str) -> Iterator[FileRef]:
        folders: list[str] = []
        for page in self._pages(prefix, delimiter=True):
            for obj in page.get("Contents") or ():
                ref = self._file(obj)
                if ref is not None:
                    yield ref
            folders.extend(p["Prefix"] for p in page.get("CommonPrefixes") or ())
        for sub in folders:
            yield from self.walk_prefix(sub)


# ---------------------------------------------------------------------------------------
# S3 access from workers: settings, never sessions
# ---------------------------------------------------------------------------------------


def _aws_endpoint(url: str | None) -> bool:
    host = (urlsplit(url).hostname or "") if url else ""
    return not host or host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))


def settings_for(session: boto3.Session, client: S3Client, region: str | None) -> SessionSettings:
    """What a worker needs to read the bucket: the session's frozen credentials (or, with
    none, its profile), the bucket's region and a non-AWS endpoint (a profile's
    ``endpoint_url`` included). Threads of this process (in-process scans, thread pools,
    threaded Dask workers) reuse the caller's own client; other processes build one."""
    credentials = session.get_credentials()
    endpoint = client.meta.endpoint_url
    profile = session.profile_name if session.profile_name in session.available_profiles else None
    settings = settings_of(
        credentials,
        region_name=region or client.meta.region_name,
        endpoint_url=None if _aws_endpoint(endpoint) else endpoint,
        profile_name=profile,
        config=S3_CONFIG,
    )
    share_client(settings, "s3", client)
    return settings


def bucket_region(client: S3Client, bucket: str) -> str | None:
    """The bucket's region (None when S3 does not say).

    Raises:
        ScanError: the bucket cannot be opened, or no usable credentials.
    """
    try:
        response = client.head_bucket(Bucket=bucket)
    except CREDENTIAL_ERRORS as exc:
        raise ScanError(f"no usable AWS credentials: {exc}") from None
    except ClientError as exc:
        headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        region = headers.get("x-amz-bucket-region")
        if region and error_code(exc) in ("301", "PermanentRedirect", "400"):
            return str(region)
        raise ScanError(
            f"cannot open s3://{bucket}: {error_code(exc)}: {error_message(exc)}"
        ) from None
    except CALL_ERRORS as exc:
        raise ScanError(f"cannot open s3://{bucket}: {error_message(exc)}") from None
    region = response.get("BucketRegion") or response.get("ResponseMetadata", {}).get(
        "HTTPHeaders", {}
    ).get("x-amz-bucket-region")
    return str(region) if region else None
