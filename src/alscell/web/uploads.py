"""Safe unpacking of an uploaded canonical folder (.zip) for the import page (docs/web.md, "Import").

Refused, with one sentence: an upload over ``MAX_UPLOAD_BYTES``; a file that is not a zip archive; an
entry whose name is absolute, climbs out with ``..``, uses backslashes, is a symbolic link, sits deeper than
one folder, or is not one of the six canonical files; more than ``MAX_ENTRIES`` entries; an entry that
inflates beyond ``MAX_ENTRY_BYTES`` or ``MAX_RATIO`` times its compressed size, or a total beyond
``MAX_TOTAL_BYTES`` (zip bombs).  Sizes are counted while inflating, never trusted from the archive's header.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from alscell.io.columns import FILE_ORDER

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
MAX_ENTRY_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200  # CSV compresses ~5-20x; a bomb reaches 1000x
MAX_ENTRIES = 32
CANONICAL = frozenset(f"{name}.csv" for name in FILE_ORDER)
_CHUNK = 1 << 20


class UploadRefused(ValueError):
    """The upload cannot be imported (one sentence)."""


def _target(info: zipfile.ZipInfo) -> str | None:
    """The canonical file name an entry stands for, None for a folder entry to skip; refuses bad names."""
    name = info.filename
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UploadRefused(f"the archive entry {name!r} has an absolute or Windows path")
    parts = PurePosixPath(name).parts
    if any(p in ("..", ".") for p in parts):
        raise UploadRefused(f"the archive entry {name!r} climbs out of the folder ('..')")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UploadRefused(f"the archive entry {name!r} is a symbolic link")
    if info.is_dir():
        if len(parts) > 1:
            raise UploadRefused(f"the archive entry {name!r} is nested deeper than one folder")
        return None
    if len(parts) > 2:
        raise UploadRefused(f"the archive entry {name!r} is nested deeper than one folder")
    if parts[-1].startswith(("._", ".")) or parts[0] == "__MACOSX":
        return None  # macOS resource forks and hidden files
    if parts[-1] not in CANONICAL:
        raise UploadRefused(f"the archive entry {name!r} is not a canonical file ({', '.join(sorted(CANONICAL))})")
    return parts[-1]


def unpack(archive: Path, dest: Path) -> Path:
    """Extract the canonical files of ``archive`` into ``dest`` (flat) and return ``dest``."""
    if archive.stat().st_size > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRefused("the upload is not a zip archive") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise UploadRefused(f"the archive has {len(infos)} entries (at most {MAX_ENTRIES})")
        targets = [(info, _target(info)) for info in infos]
        names = [t for _, t in targets if t]
        if len(names) != len(set(names)):
            raise UploadRefused("the archive holds the same canonical file twice")
        if "patients.csv" not in names:
            raise UploadRefused("the archive has no patients.csv")
        total = 0
        for info, target in targets:
            if target is None:
                continue
            written = 0
            limit = min(MAX_ENTRY_BYTES, max(info.compress_size, 1) * MAX_RATIO)
            try:
                with zf.open(info) as src, open(dest / target, "wb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        if written > limit or total > MAX_TOTAL_BYTES:
                            raise UploadRefused(
                                f"the archive entry {info.filename!r} inflates too far (a zip bomb?): refused"
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
                raise UploadRefused(f"the archive entry {info.filename!r} cannot be read ({exc})") from exc
    return dest
