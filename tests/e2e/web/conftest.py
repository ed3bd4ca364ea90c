"""A real `tiepdon serve` and Debian's Chromium (headless) for the web pages.

One server per module: starting one costs a couple of seconds on a shared 2-core machine, and
every test here works on its own services and points, so they never read each other's tickets."""
import os
import shutil

import pytest

from .helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PageErrors, Site, prepare_database


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db_url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'tiepdon.db'}"
    s = Site(db_url, prepare_database(db_url))
    s.server.start(timeout=30)
    yield s
    s.server.stop()


@pytest.fixture(scope="session")
def browser():
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), "Debian's chromium package is needed"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts():
    os.makedirs(ARTIFACTS, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page_errors():
    return PageErrors()


