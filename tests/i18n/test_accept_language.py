"""Accept-Language is read one way by the API (problem documents) and the web app (pages)."""

from __future__ import annotations

from flowdesk.api.problems import accepted_locale
from flowdesk.engine.languages import accepted_languages
from flowdesk.web.i18n import negotiate


def test_languages_come_most_wanted_first_and_refused_ones_are_left_out():
    assert accepted_languages("en;q=0.5, zh-CN, fr;q=0, de;q=0.5, x;q=oops") == ["zh-CN", "en", "de"]
    assert accepted_languages(None) == [] and accepted_languages("") == []


def test_the_api_and_the_web_app_pick_the_same_language_from_one_header():
    for header, api, web in [("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "zh_CN"), ("en-US,en;q=0.9,zh;q=0.1", "en", "en"),
                             ("fr, zh;q=0.5", "zh-CN", "zh_CN"), ("zh;q=0", "en", "en"), (None, "en", "en")]:
        assert (accepted_locale(header), negotiate(None, header)) == (api, web), header
