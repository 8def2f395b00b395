"""The class report (`make report`, tests/report_class.py) as an instructor sees it in chromium: its figures
drawn, no script, nothing blocked or broken, nothing wider than the window. Its screenshots
are kept: build/screenshots/report.png (the whole page) and report-top.png (the first screen)."""

from report_class import HOSTILE_NAME

from .conftest import SCREENSHOTS


def test_the_report_reads_in_a_browser(browser, report):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type in ("error", "warning") and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: problems.append(f"a dialog opened: {dialog.message}") or dialog.dismiss())
    page.on("request", lambda request: request.url.startswith(("file:", "data:")) or problems.append(request.url))
    page.goto((report / "report.html").as_uri())

    images = page.locator("img")
    assert images.count() >= 1
    for k in range(images.count()):  # decoded, as big as drawn
        assert images.nth(k).evaluate("img => img.complete && img.naturalWidth > 300 && img.naturalHeight > 100")
    assert page.get_by_text(HOSTILE_NAME, exact=False).count() > 0  # the student's name, shown as text
    assert page.locator("script").count() == 0
    sections = [page.locator(f"#{name}") for name in ("scores", "tests", "failures", "problems", "time", "similar")]
    assert all(section.is_visible() for section in sections)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    assert not problems, problems
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "report.png", full_page=True)
    page.screenshot(path=SCREENSHOTS / "report-top.png")
    context.close()
