"""Issue 9 item 1 in a real browser: hostile counterparty and channel names never execute, and the main pages load
under the Content-Security-Policy with no violation (no inline script, handler or style that the policy blocks)."""

import pytest

from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORDER = """
window.__violations = [];
window.__pwned = 0;
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


def test_a_hostile_name_does_not_execute_and_pages_have_no_csp_violation(log_in, page, company, treasurer):
    lender = CounterpartyFactory(company=company, name='<img src=x onerror="window.__pwned=1">')
    octal = CounterpartyFactory(company=company, name=r"\074img src=x onerror=window.__pwned=2\076")
    channel = FundingChannelFactory(company=company, counterparty=lender, name=r"ACME\Holdings <svg onload=alert(3)>")
    dialogs, console = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORDER)

    log_in("tom-treasurer")
    pages = ["/", "/channels/", f"/channels/{channel.pk}/", "/counterparties/", f"/counterparties/{lender.pk}/",
             f"/counterparties/{octal.pk}/", "/pools/", "/cash-flows/", "/plans/", "/scenarios/", "/drills/",
             "/schedules/", "/alerts/", "/import/", "/own-rating/"]  # fmt: skip
    for url in pages:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("load")
        assert page.evaluate("window.__pwned") == 0, url
        assert page.evaluate("window.__violations") == [], url
        assert page.evaluate("typeof htmx") == "object", url  # htmx loaded from our static files
        assert page.evaluate("document.querySelectorAll('style').length") == 0, url  # htmx injected no <style>
    # The names are shown as the text they are.
    page.goto(f"/counterparties/{octal.pk}/")
    assert r"\074img src=x onerror=window.__pwned=2\076" in page.inner_text("main")
    page.goto(f"/channels/{channel.pk}/")
    assert r"ACME\Holdings <svg onload=alert(3)>" in page.inner_text("main")
    assert dialogs == []
    assert not [text for text in console if "Content Security Policy" in text], console

    # The policy is really enforced: an inline script injected into the page is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 9'; "
        "document.body.appendChild(s); }"
    )
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__pwned") == 0
    assert any("script-src" in v for v in page.evaluate("window.__violations"))
