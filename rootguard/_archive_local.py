"""Walking local archives for ``rootguard._archive``: folders depth first in name order,
symbolic links followed, folder loops skipped, FIFOs, sockets and devices never opened.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from rootguard._archive_layout import DIGEST_MARK, FileRef, Pruner, Walk, classify, layout
from rootguard._cloudtrail import file_kind
from rootguard._errors import ScanError
from rootguard._fastscan import SkipReason


def os_detail(exc: OSError, *, link: bool = False) -> str:
    """An ``OSError`` in words, saying when a symbolic link is the trouble."""
    words = exc.strerror or str(exc)
    if not link:
        return words
    if isinstance(exc, FileNotFoundError):
        return "dangling symbolic link: its target does not exist"
    if exc.errno == getattr(os, "ELOOP", None) or "symbolic link" in words:
        return f"symbolic link loop: {words}"
    return f"symbolic link: {words}"


def is_link(path: os.DirEntry[str] | Path) -> bool:
    """Whether ``path`` is a symbolic link (False when that cannot be told)."""
    try:
        return path.is_symlink()
    except OSError:
        return False


def _entry_kind(entry: os.DirEntry[str], files_pruned: bool) -> tuple[str, int]:
    """What a folder entry is — ``("dir", 0)``, ``("file", size)``, ``("pruned", 0)`` (a
    file of a pruned folder, not stat'ed) or ``(words, 0)`` for anything else — following
    symbolic links. The entry's type comes from the folder listing where the OS gives it:
    one system call for a file (its size), none for a folder.

    Raises:
        OSError: a dangling symbolic link, a symbolic link loop, a denied stat ...
    """
    if entry.is_symlink():
        found = entry.stat()  # follows the link
    elif entry.is_dir(follow_symlinks=False):
        return "dir", 0
    elif entry.is_file(follow_symlinks=False) and files_pruned:
        return "pruned", 0
    else:
        found = entry.stat(follow_symlinks=False)
    mode = found.st_mode
    if stat.S_ISDIR(mode):
        return "dir", 0
    if stat.S_ISREG(mode):
        return ("pruned", 0) if files_pruned else ("file", found.st_size)
    return file_kind(mode), 0


def _walk_local_dir(root: Path, pruner: Pruner, walk: Walk) -> Iterator[FileRef]:
    """The files under ``root``, depth first, in name order.

    Symbolic links are followed, to files and to folders. A folder that is one of its
    own ancestors by ``(st_dev, st_ino)`` — a link (or bind mount) back up the tree — is
    a loop: skipped, not entered (as ``find -L`` does; memory stays proportional to the
    depth, not to the archive). Entries that cannot be examined are error entries,
    FIFOs, sockets and devices are skipped: the walk goes on.
    """
    stack: list[tuple[Path, tuple[tuple[int, int], ...]]] = [(root, ())]
    while stack:
        folder, ancestors = stack.pop()
        try:
            found = os.stat(folder)
            key = (found.st_dev, found.st_ino)
            if key in ancestors:
                walk.skip(
                    str(folder),
                    SkipReason.FOLDER_LOOP,
                    "a link back to a folder that contains it: not followed",
                )
                continue
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if folder is root:
                raise ScanError(f"cannot list {folder}: {exc.strerror or exc}") from None
            walk.fail(str(folder), f"cannot list folder: {os_detail(exc, link=is_link(folder))}")
            continue
        chain = (*ancestors, key)
        folders = list(Path(folder).absolute().parts)
        lay = layout(folders)
        files_pruned = pruner.prunes(lay)
        digest_folder = DIGEST_MARK in folders
        subdirs: list[tuple[Path, tuple[tuple[int, int], ...]]] = []
        for entry in entries:
            try:
                kind, size = _entry_kind(entry, files_pruned)
            except OSError as exc:
                walk.fail(entry.path, os_detail(exc, link=is_link(entry)))
                continue
            if kind == "dir":
                if not pruner.prunes(layout([*folders, entry.name])):
                    subdirs.append((Path(entry.path), chain))
                continue
            if kind == "pruned":
                walk.pruned += 1
                continue
            if kind != "file":
                walk.skip(entry.path, SkipReason.NOT_REGULAR_FILE, f"not a regular file: {kind}")
                continue
            ref = classify(
                entry.path,
                folders,
                entry.name,
                pruner,
                walk,
                listed=True,
                lay=lay,
                digest_folder=digest_folder,
                size=size,
            )
            if ref is not None:
                yield ref
        stack.extend(reversed(subdirs))


def _local_file(path: Path, size: int, pruner: Pruner, walk: Walk) -> Iterator[FileRef]:
    ref = classify(
        str(path),
        list(path.absolute().parent.parts),
        path.name,
        pruner,
        walk,
        listed=False,
        size=size,
    )
    if ref is not None:
        yield ref


def local_source(
    path: Path, found: os.stat_result, pruner: Pruner, walk: Walk
) -> Iterator[FileRef]:
    """A local path named by the caller (``found``: its ``os.stat``)."""
    if stat.S_ISDIR(found.st_mode):
        yield from _walk_local_dir(path, pruner, walk)
    elif stat.S_ISREG(found.st_mode):
        yield from _local_file(path, found.st_size, pruner, walk)
    else:
        walk.skip(
            str(path),
            SkipReason.NOT_REGULAR_FILE,
            f"not a regular file: {file_kind(found.st_mode)}",
        )
