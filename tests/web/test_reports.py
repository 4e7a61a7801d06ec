"""The KPI report page and its server-drawn SVG charts."""

from __future__ import annotations

from flowdesk.web import charts

from tests.support.browser import Browser, start_requisition


def test_a_manager_sees_the_kpi_report_with_three_charts(browser: Browser, other_browser: Browser) -> None:
    browser.login("alice")
    start_requisition(browser)
    other_browser.login("bob")
    page = other_browser.get("/reports/kpis?definition_key=procure_to_pay")
    assert page.status_code == 200, page.text
    assert page.text.count('<svg class="chart"') == 3
    assert "Cycle time distribution" in page.text and "Throughput over time" in page.text


def test_employees_without_a_manager_group_may_not_read_kpis(browser: Browser) -> None:
    browser.login("alice")
    assert browser.get("/reports/kpis").status_code == 403


def test_charts_scale_to_the_largest_value_and_describe_their_numbers() -> None:
    svg = charts.bar_chart("Cycle <time>", ["a", "b"], [charts.Series("instances", [3, 7])])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "Cycle &lt;time&gt;" in svg  # escaped
    assert "a: instances 3; b: instances 7" in svg
    assert ">10<" in svg  # the axis round top above 7
    empty = charts.line_chart("Throughput", [], [charts.Series("started", [])])
    assert "no data" in empty
