"""The one error a user sees for bad input: ``ScenarioError`` (a ``ValueError``) and its file-reading kind.

Every problem a planner can fix — an invalid field, a file that cannot be read, an output folder that cannot
be written — becomes one of these with one message naming the file or field and what is allowed; the CLI
prints it as plain lines and exits with code 2. This module imports nothing heavy, so ``staffing`` and the
CLI modules can use it without importing the simulator.
"""
from __future__ import annotations


class ScenarioError(ValueError):
    """Invalid scenario: one message naming the file, the field and the allowed values."""


class InputFileError(ScenarioError):
    """An input file is missing, a folder, unreadable, not UTF-8 or not in the expected format."""


class OutputDirError(ScenarioError):
    """An output folder cannot be used: it is a file, lies below a file, is not writable or is in use."""
