"""Every page in the navigation runs under AppTest with no exception."""

import pytest

from tests.conftest import ROOT
from ui.registry import PAGES


@pytest.mark.slow
@pytest.mark.parametrize("entry", PAGES, ids=[p[4] for p in PAGES])
def test_page_runs_without_exception(app_test, entry):
    path = entry[1]
    if not (ROOT / path).exists():
        pytest.skip(f"{path} is not built yet")
    at = app_test(path, timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page opens with a title"
