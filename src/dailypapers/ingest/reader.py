"""Reading JSON records from files: JSON Lines (plain or gzip) or one JSON array."""

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson


class BrokenInput(Exception):
    """The file itself cannot be read on (truncated gzip, not JSON at all)."""


def _first_byte(stream) -> tuple[bytes, int]:
    """The first byte that is not white space, and how many lines it consumed to find it."""
    lines = 0
    while True:
        byte = stream.peek(1)[:1]
        if byte not in (b" ", b"\t", b"\r", b"\n"):
            return byte, lines
        lines += byte == b"\n"
        stream.read(1)


def read_objects(
    path: Path, on_progress: Callable[[int], None] = lambda done: None
) -> Iterator[tuple[str, dict | str]]:
    """Yield ``(where, object)`` or ``(where, reason it is not a record)``.

    ``where`` is "line N" for JSON Lines and "record N" for a JSON array, so a
    rejection points at the place to fix. ``on_progress`` gets compressed bytes read.
    """
    with open(path, "rb") as raw:
        is_gzip = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if is_gzip else raw
        number = 0
        try:
            buffered = io.BufferedReader(stream) if is_gzip else stream
            first, skipped = _first_byte(buffered)
            number = skipped
            if first == b"[":
                yield from _read_array(buffered.read())
                on_progress(raw.tell())
                return
            # Numbered from the blank lines skipped above, so a report points at the file's line.
            for number, line in enumerate(buffered, skipped + 1):
                if number % 1000 == 0:
                    on_progress(raw.tell())
                if not line.strip():
                    continue
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    yield f"line {number}", f"invalid JSON ({error})"
                    continue
                yield f"line {number}", obj if isinstance(obj, dict) else "not a JSON object"
            on_progress(raw.tell())
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise BrokenInput(
                f"line {number + 1}: file is truncated or corrupt ({error or 'unexpected end'});"
                " everything before it was imported"
            ) from None


def _read_array(data: bytes) -> Iterator[tuple[str, dict | str]]:
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise BrokenInput(f"not valid JSON ({error})") from None
    if isinstance(items, dict):
        items = [items]
    for number, obj in enumerate(items, 1):
        yield f"record {number}", obj if isinstance(obj, dict) else "not a JSON object"
