"""Writing files so that nothing is ever half-written: agendas, exports, formatted plans."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

# Temporary files carry this ending, so a later run can clear what a killed one left.
TEMP_SUFFIX = ".ipt-plan-tmp"


def write_atomically(target: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename it over the target: a
    reader (or a rerun after a crash) sees the old file or the new one, never half of one.
    A file that is replaced keeps its permissions (plans and agendas hold health
    information), and a symbolic link keeps pointing at the file it named."""
    path = Path(os.path.realpath(target))
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None  # a new file: the umask decides, as for any file the user writes
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
