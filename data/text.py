"""Annotation files (CSV, class lists, frame lists) as text: UTF-8, or an error at the first bad byte.

A CSV saved by a spreadsheet in Latin-1 or cp1252 is a common mistake; the error names the file, the
line and the column of the first byte that is not UTF-8, so the user can find it and re-save the file.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError


class AnnotationEncodingError(UserError, ValueError):
    """An annotation file that is not UTF-8 text."""


def read_annotation_text(path: Path) -> str:
    """The file's text (a UTF-8 byte order mark is dropped)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise AnnotationEncodingError(
            f"{path}:{line}:{column}: byte 0x{data[error.start]:02x} is not UTF-8 text; save the file as UTF-8"
        ) from None
