"""Pages that run code keep working under the Content-Security-Policy: no
script, style or connection is refused (a refusal is a console error)."""


def test_the_api_docs_render_under_the_policy(browser, live_server, transactional_db):
    browser.go("/api/v1/docs")
    browser.wait_for("document.querySelectorAll('#swagger-ui .opblock').length > 10")
    assert browser.errors == []
