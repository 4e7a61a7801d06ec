"""Changing one's own password in the web app, in Chinese at phone width (a real browser;
screenshots in tests/web/artifacts)."""

from __future__ import annotations

from tests.web.test_browser import chromium, chromium_path, server, shot  # noqa: F401
from tests.web.test_browser_zh import PHONE, assert_chinese_page, chinese


def test_a_user_changes_their_password_in_chinese_on_a_phone(server: str, chromium) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = chinese(chromium, server, "alice", **PHONE)
    page.goto("/preferences")
    page.get_by_label("当前密码").fill("flowdesk-demo")
    page.get_by_label("新密码").fill("a-new-secret")
    page.get_by_label("再次输入").fill("a-new-secret-typo")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator("#again-error")).to_have_text("两次输入的密码不一致。")
    assert_chinese_page(page)
    shot(page, "30-zh-password-mistyped-phone")

    page.get_by_label("当前密码").fill("flowdesk-demo")
    page.get_by_label("新密码").fill("a-new-secret")
    page.get_by_label("再次输入").fill("a-new-secret")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("status")).to_contain_text("密码已修改")
    shot(page, "31-zh-password-changed-phone")
