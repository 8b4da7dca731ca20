"""The web chat widget in a real browser (Debian's chromium, headless, through chromedriver),
against the real page, Rasa and the action server on 127.0.0.1. Screenshots go to results/."""
import json
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.live import JWT_KEY, MODEL, _wait

RESULTS = ROOT / "results"
pytestmark = [
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: make train"),
    pytest.mark.skipif(not shutil.which("chromedriver"), reason="needs chromium-driver: make browser"),
]
XSS = "<img src=x onerror=alert(1)>"


def serve_page(servers, site, attributes: str = ""):
    """The real web/ folder served over HTTP on the servers' allowed origin, the widget pointed at
    their Rasa (plus extra attributes on its script tag). Returns (url, process)."""
    shutil.copytree(ROOT / "web", site, dirs_exist_ok=True, ignore=shutil.ignore_patterns("node_modules"))
    index = site / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace(
        'data-server=""', f'data-server="http://127.0.0.1:{servers.rasa_port}" {attributes}'), encoding="utf-8")
    port = servers.web_port  # the origin the test servers allow
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    _wait(url, process, site / "index.html")
    return url, process


@pytest.fixture(scope="module")
def page_url(servers, tmp_path_factory):
    url, process = serve_page(servers, tmp_path_factory.mktemp("web"))
    yield url
    process.terminate()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait_for(browser, condition, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.2).until(lambda _: condition())


def bot_texts(browser):
    # read in one script: the widget may clear its log between a lookup and a read ("delete my data")
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('.hsg-bot .hsg-bubble'), e => e.innerText.trim())")


def ask(browser, text):
    box = browser.find_element("id", "hsg-input")
    box.send_keys(text)
    box.submit()


def test_widget_chat_in_both_languages_buttons_history_and_inert_html(browser, page_url, kb):
    browser.get(page_url)
    launcher = browser.find_element("css selector", ".hsg-launcher")
    assert launcher.get_attribute("aria-label") and launcher.get_attribute("aria-expanded") == "false"
    launcher.click()
    # the greeting arrives by itself, in Vietnamese (the page is Vietnamese), with the disclaimer
    wait_for(browser, lambda: any("Chào chị" in t for t in bot_texts(browser)))
    wait_for(browser, lambda: any("tham khảo" in t for t in bot_texts(browser)))
    assert browser.switch_to.active_element.get_attribute("id") == "hsg-input"  # focus moved in
    assert browser.find_element("css selector", "label[for=hsg-input]").get_attribute("textContent")

    ask(browser, "chup hsg co dau ko")
    wait_for(browser, lambda: kb.topics["hsg_pain"].answer["vi"] in bot_texts(browser))

    browser.find_element("css selector", ".hsg-lang button[data-lang=en]").click()
    ask(browser, "how long does the x-ray part take")
    # the specific answer, then a button to the whole topic and the related topics
    wait_for(browser, lambda: kb.topics["hsg_procedure"].specific["duration"].answer["en"] in bot_texts(browser))
    quick = browser.find_elements("css selector", ".hsg-bot:last-child .hsg-quick")
    assert [q.text for q in quick][0] == "More: What happens?"
    # "did this help?": a pair of thumbs named for screen readers, not two more quick replies
    thumbs = browser.find_elements("css selector", ".hsg-bot:last-child .hsg-thumb")
    assert [t.get_attribute("aria-label") for t in thumbs] == ["👍 Helpful", "👎 Not helpful"]
    thumbs[0].click()
    wait_for(browser, lambda: any("glad it helped" in t for t in bot_texts(browser)))
    assert all(not t.is_enabled() for t in browser.find_elements("css selector", ".hsg-thumb[aria-pressed=true]"))
    browser.find_elements("css selector", ".hsg-quick")[-len(quick)].click()  # "More: What happens?"
    wait_for(browser, lambda: kb.topics["hsg_procedure"].answer["en"] in bot_texts(browser))

    ask(browser, XSS)
    wait_for(browser, lambda: any(e.text == XSS for e in browser.find_elements("css selector", ".hsg-user .hsg-bubble")))
    wait_for(browser, lambda: len(bot_texts(browser)) >= 6)
    assert browser.find_elements("css selector", ".hsg-log img") == []
    assert browser.execute_script("return window.__xss === undefined")
    RESULTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(RESULTS / "widget-desktop.png"))

    # reload: the conversation is still there, in the same session
    shown = len(browser.find_elements("css selector", ".hsg-bubble"))
    browser.refresh()
    wait_for(browser, lambda: len(browser.find_elements("css selector", ".hsg-bubble")) == shown)
    # the panel opens on the latest message, not at the top of the history
    wait_for(browser, lambda: browser.execute_script(
        "var l = document.querySelector('.hsg-log'); return l.scrollHeight > l.clientHeight"
        " && l.scrollTop + l.clientHeight >= l.scrollHeight - 2"))
    ask(browser, "thank you")
    wait_for(browser, lambda: len(browser.find_elements("css selector", ".hsg-bubble")) >= shown + 2)
    assert not any("Hello!" in t for t in bot_texts(browser)[-2:])  # no new greeting after reload


def axe_violations(browser):
    """axe-core (web/package.json, installed by `make web`) run on the page as it is now."""
    browser.execute_script((ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js").read_text())
    result = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (r) {"
        " done(r.violations.map(function (v) { return v.id + ': ' + v.nodes.length; })); });")
    return result


def test_page_and_open_widget_have_no_accessibility_violations(browser, page_url, kb):
    browser.get(page_url)
    browser.find_element("css selector", ".hsg-launcher").click()
    ask(browser, "chup hsg co dau ko")
    wait_for(browser, lambda: kb.topics["hsg_pain"].answer["vi"] in bot_texts(browser))
    assert axe_violations(browser) == []


def test_widget_deletes_the_conversation_and_its_own_copy(browser, page_url, servers, kb):
    """"Delete my data" in the widget's header: the bot asks, "yes" deletes the conversation in
    the tracker store, and the widget forgets its stored history and session."""
    import sqlite3

    browser.get(page_url)
    browser.find_element("css selector", ".hsg-launcher").click()
    wait_for(browser, lambda: any("Chào chị" in t for t in bot_texts(browser)))
    assert any("xóa dữ liệu của tôi" in t for t in bot_texts(browser))  # the disclaimer says how
    ask(browser, "em 34 tuổi, chụp hsg có đau không")
    wait_for(browser, lambda: kb.topics["hsg_pain"].answer["vi"] in bot_texts(browser))
    session = json.loads(browser.execute_script("return localStorage.getItem('hsg-chat:session')"))

    def stored_rows():
        with sqlite3.connect(servers.workdir / "tracker.db") as db:
            return db.execute("select count(*) from events where sender_id = ?", (session,)).fetchone()[0]

    assert stored_rows() > 0
    forget = browser.find_element("css selector", ".hsg-forget")
    assert forget.get_attribute("aria-label") == "Xóa dữ liệu của tôi"
    forget.click()
    wait_for(browser, lambda: any("không thể khôi phục" in t for t in bot_texts(browser)))
    yes = [b for b in browser.find_elements("css selector", ".hsg-bot:last-child .hsg-quick") if b.text == "Có, xóa đi"]
    yes[0].click()
    wait_for(browser, lambda: bot_texts(browser) == [messages_text("forget_done", "vi")])
    history = browser.execute_script("return localStorage.getItem('hsg-chat:history')")
    assert "34 tuổi" not in history and "có đau không" not in history
    wait_for(browser, lambda: json.loads(browser.execute_script(
        "return localStorage.getItem('hsg-chat:session') || 'null'")) not in (None, session))
    assert stored_rows() == 0
    browser.refresh()  # what is left after a reload: the "deleted" line only
    wait_for(browser, lambda: bot_texts(browser) == [messages_text("forget_done", "vi")])


def messages_text(key, language):
    from actions.actions import messages

    return messages()[key][language]


def test_widget_on_a_phone_sized_screen(browser, page_url, kb):
    browser.set_window_size(390, 844)
    browser.get(page_url)
    browser.find_element("css selector", ".hsg-launcher").click()
    wait_for(browser, lambda: any("Chào chị" in t for t in bot_texts(browser)))
    ask(browser, "sau khi chụp bao lâu thì được quan hệ")
    wait_for(browser, lambda: kb.topics["hsg_sex_after"].answer["vi"] in bot_texts(browser))
    panel = browser.find_element("css selector", ".hsg-panel")
    assert panel.size["width"] <= 390
    RESULTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(RESULTS / "widget-phone.png"))
    # keyboard: Escape closes the panel and gives focus back to the launcher
    browser.find_element("id", "hsg-input").send_keys("\ue00c")
    wait_for(browser, lambda: not panel.is_displayed())
    assert "hsg-launcher" in browser.switch_to.active_element.get_attribute("class")


@pytest.mark.parametrize("valid", [True, False])
def test_widget_with_chat_tokens(browser, hardened, tmp_path, valid):
    """With SOCKETIO_JWT_KEY set, the widget fetches a token from data-token-url (the hospital's
    site would issue it) and is answered; with a bad token it gets no session and says so, with
    the hotline."""
    import jwt

    key = JWT_KEY if valid else "a-key-the-server-does-not-know-0123456789"
    site = tmp_path / "site"
    site.mkdir()
    (site / "token.json").write_text(json.dumps(
        {"token": jwt.encode({"exp": int(time.time()) + 600}, key, algorithm="HS256")}))
    url, process = serve_page(hardened, site, 'data-token-url="token.json"')
    try:
        browser.get(url)
        browser.find_element("css selector", ".hsg-launcher").click()
        if valid:
            wait_for(browser, lambda: any("Chào chị" in t for t in bot_texts(browser)))
        else:
            time.sleep(3)
            assert bot_texts(browser) == []  # no session, no greeting
            ask(browser, "chup hsg co dau ko")
            wait_for(browser, lambda: any("1900 232 389" in t for t in bot_texts(browser)))
    finally:
        process.terminate()
        process.wait(timeout=10)
