"""Reading every input file the same way: one helper per format, one clear error per failure.

Scenario TOML, arrivals / volumes / requirement CSV files, empirical-distribution CSV files, rules files and a
run folder's ``summary.json`` are all read through ``read_text``, ``read_toml``, ``read_json`` or
``read_csv``. Whatever goes wrong — the path does not exist, is a folder, cannot be read, is not UTF-8, is
not valid TOML/JSON/CSV — raises ``InputFileError`` naming the file and its role (``what``), e.g.
``scenario file scenarios/x.toml is not UTF-8 text (byte 0xff at position 12)``; never a raw
``UnicodeDecodeError`` or ``IsADirectoryError``.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

from sim.errors import InputFileError


def check_file(path: str | Path, what: str = "file") -> Path:
    """``path`` as a Path when it names an existing regular file, else InputFileError."""
    p = Path(path)
    try:
        if not p.exists():
            raise InputFileError(f"{what} {p} does not exist (file not found)")
        if p.is_dir():
            raise InputFileError(f"{what} {p} is a folder; give a file")
        if not p.is_file():
            raise InputFileError(f"{what} {p} is not a regular file")
    except (OSError, ValueError) as err:   # name too long, embedded NUL byte, permission on a parent, ...
        if isinstance(err, InputFileError):
            raise
        raise InputFileError(f"{what} {str(p)[:200]!r} cannot be used as a file name: "
                             f"{getattr(err, 'strerror', None) or err}") from None
    return p


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    p = check_file(path, what)
    try:
        return p.read_bytes()
    except OSError as err:  # permission denied, I/O error, ...
        raise InputFileError(f"cannot read {what} {p}: {err.strerror or err}") from None


def read_text(path: str | Path, what: str = "file") -> str:
    """Whole file as UTF-8 text (a leading byte-order mark is dropped)."""
    data = read_bytes(path, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputFileError(f"{what} {path} is not UTF-8 text (byte 0x{data[err.start]:02x} at position "
                             f"{err.start}); save it as UTF-8") from None


def read_toml(path: str | Path, what: str = "TOML file") -> dict:
    text = read_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputFileError(f"{what} {path} is not valid TOML: {err}") from None


def read_json(path: str | Path, what: str = "JSON file") -> dict | list:
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputFileError(f"{what} {path} is not valid JSON ({err.msg} at line {err.lineno}, "
                             f"column {err.colno}); it may be damaged — recreate it") from None


def read_csv(path: str | Path, what: str = "CSV file", **kwargs):
    """``pandas.read_csv`` of a UTF-8 file; any reading or parsing problem becomes InputFileError."""
    import io

    import pandas as pd

    text = read_text(path, what)
    try:
        return pd.read_csv(io.StringIO(text), **kwargs)
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{what} {path} is empty (no header row)") from None
    except (pd.errors.ParserError, ValueError) as err:
        raise InputFileError(f"{what} {path} is not a readable CSV table: {str(err).strip()}") from None
