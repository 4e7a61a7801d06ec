"""A built wheel, installed without the source tree, carries and finds everything it ships."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.paths import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("flowdesk-*.whl")
    return built


def test_wheel_contains_definitions_migrations_and_packages(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "flowdesk/cli.py",
        "flowdesk/engine/process_engine.py",
        "flowdesk/engine/persistence/migrations/env.py",
        "flowdesk/engine/persistence/migrations/script.py.mako",
        "flowdesk/engine/persistence/migrations/versions/0001_initial_schema.py",
        "flowdesk/api/app.py",
        "flowdesk/processes/leave_request.bpmn",
        "flowdesk/processes/leave_approval.dmn",
        "flowdesk/forms/leave_request.yaml",
        "flowdesk/forms/leave_request.ui.yaml",
        # The web app: templates, its one stylesheet and script, and the compiled catalogues.
        "flowdesk/web/app.py",
        "flowdesk/web/templates/base.html",
        "flowdesk/web/templates/task.html",
        "flowdesk/web/static/flowdesk.css",
        "flowdesk/web/static/flowdesk.js",
        "flowdesk/web/locale/en/LC_MESSAGES/messages.mo",
        "flowdesk/web/locale/zh_CN/LC_MESSAGES/messages.po",
        "flowdesk/web/locale/zh_CN/LC_MESSAGES/messages.mo",
    ):
        assert required in names, required
    assert not any(name.startswith(("tests/", "engine/", "api/")) for name in names)


def test_installed_wheel_deploys_its_shipped_definitions(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    script = (
        "import flowdesk, sys\n"
        "from flowdesk.engine.config import Settings\n"
        "from flowdesk.engine.process_engine import ProcessEngine\n"
        f"assert flowdesk.__file__.startswith({str(target)!r}), flowdesk.__file__\n"
        f"engine = ProcessEngine(Settings(database_url='sqlite:///{tmp_path}/w.db'))\n"
        "from flowdesk.engine.identity import SYSTEM\n"
        "result = engine.repository.deploy(engine.settings.definitions, by=SYSTEM)\n"
        "print(sorted(d.key for d in result.definitions))\n"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "leave_request" in result.stdout


def test_installed_wheel_serves_the_web_app_in_chinese(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    script = (
        "import flowdesk\n"
        "from fastapi.testclient import TestClient\n"
        "from flowdesk.api.app import create_app\n"
        "from flowdesk.engine.config import Settings\n"
        "from flowdesk.engine.process_engine import ProcessEngine\n"
        f"assert flowdesk.__file__.startswith({str(target)!r}), flowdesk.__file__\n"
        f"engine = ProcessEngine(Settings(database_url='sqlite:///{tmp_path}/w.db', definitions=()))\n"
        "client = TestClient(create_app(engine))\n"
        "page = client.get('/login', headers={'Accept-Language': 'zh-CN'})\n"
        "assert page.status_code == 200 and '\u767b\u5f55' in page.text, page.text\n"
        "assert client.get('/static/flowdesk.css').status_code == 200\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
