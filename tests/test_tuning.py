"""Flowdesk's processes set the garbage collector; importing the engine does not."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import BadRequest
from flowdesk.engine.tuning import tune_process


@pytest.fixture
def restore_gc():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_server_and_worker_processes_collect_less_often_by_default(restore_gc):
    tune_process(Settings.from_env({}))
    assert gc.get_threshold() == (20_000, 50, 50)


def test_the_thresholds_come_from_the_environment(restore_gc):
    tune_process(Settings.from_env({"FLOWDESK_GC_THRESHOLDS": "5000, 20, 30"}))
    assert gc.get_threshold() == (5000, 20, 30)


def test_python_keeps_cpythons_own_thresholds(restore_gc):
    gc.set_threshold(700, 10, 10)
    tune_process(Settings.from_env({"FLOWDESK_GC_THRESHOLDS": "python"}))
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("bad", ["", "1,2", "a,b,c", "0,10,10", "1,-1,10", "1,2,3,4"])
def test_bad_thresholds_are_refused_by_name(bad):
    with pytest.raises(BadRequest, match="FLOWDESK_GC_THRESHOLDS"):
        Settings.from_env({"FLOWDESK_GC_THRESHOLDS": bad})


def test_importing_the_engine_changes_nothing():
    code = ("import gc; before = gc.get_threshold(); "
            "import flowdesk.engine.process_engine, flowdesk.api.app; "
            "assert gc.get_threshold() == before, gc.get_threshold()")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_web_app_factory_tunes_its_worker_process():
    code = ("import gc, os, tempfile; d = tempfile.mkdtemp(); "
            "os.environ.update(FLOWDESK_DATABASE_URL='sqlite:///' + d + '/x.db', FLOWDESK_DEFINITIONS='', "
            "FLOWDESK_GC_THRESHOLDS='12345,6,7'); "
            "from flowdesk.engine.config import Settings; from flowdesk.engine.process_engine import ProcessEngine; "
            "ProcessEngine(Settings.from_env()).close(); "
            "from flowdesk.api.app import create_app_from_env; create_app_from_env(); "
            "assert gc.get_threshold() == (12345, 6, 7), gc.get_threshold()")
    subprocess.run([sys.executable, "-c", code], check=True)
