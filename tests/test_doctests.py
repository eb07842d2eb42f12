"""The runnable examples in the package docstrings stay true."""
import doctest

import pytest

import sim
import staffing


@pytest.mark.parametrize("module", [sim, staffing], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
