"""Messenger and Telegram: real-format webhook payloads posted to the running Rasa server, the
answers recorded by a local fake of each platform's API (tests/fakes.py)."""
import json
import time

import pytest
import requests

from channels.messenger import hub_signature
from tests.live import FACEBOOK_ENV, MODEL, TELEGRAM_ENV

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: make train")


def post(servers, path, body, headers):
    return requests.post(f"http://127.0.0.1:{servers.rasa_port}/webhooks/{path}/webhook",
                         data=body, headers={"Content-Type": "application/json", **headers}, timeout=60)


# --- Facebook Messenger ---------------------------------------------------------------------

FEEDBACK = ["/feedback_helpful", "/feedback_not_helpful"]


def messenger_event(user, text=None, postback=None, quick_reply=None):
    item = {"sender": {"id": user}, "recipient": {"id": "page-1"}, "timestamp": int(time.time() * 1000)}
    if postback:
        item["postback"] = {"title": "button", "payload": postback}
    elif quick_reply:
        item["message"] = {"mid": f"mid.{time.time()}", "text": "👍", "quick_reply": {"payload": quick_reply}}
    else:
        item["message"] = {"mid": f"mid.{time.time()}", "text": text}
    return {"object": "page", "entry": [{"id": "page-1", "time": item["timestamp"], "messaging": [item]}]}


def messenger_post(servers, event, signature=None, raw=None):
    body = raw if raw is not None else json.dumps(event).encode()
    if signature is None:
        signature = hub_signature(FACEBOOK_ENV["FACEBOOK_APP_SECRET"], body)
    return post(servers, "facebook", body, {"X-Hub-Signature-256": signature} if signature else {})


def test_messenger_answers_in_the_language_with_buttons(servers, zalo_api, kb):
    assert messenger_post(servers, messenger_event("fb-vi", "chup hsg co dau ko")).status_code == 200
    sent = zalo_api.sent_to("fb-vi", 2)
    # the answer first, then the disclaimer of a first conversation, which carries the buttons
    assert sent[0]["message"]["text"] == kb.topics["hsg_pain"].answer["vi"]
    # five buttons (three topics, "did this help?"): quick replies, since Messenger's button
    # template holds three
    quick = sent[-1]["message"]["quick_replies"]
    related = kb.topics["hsg_pain"].related
    assert [b["payload"] for b in quick] == [f"/{t}" for t in related] + FEEDBACK
    assert [b["title"] for b in quick][:len(related)] == [kb.topics[t].title["vi"] for t in related]
    assert all(len(b["title"]) <= 20 for b in quick)
    request = [r for r in zalo_api.requests if zalo_api.recipient(r["json"]) == "fb-vi"][0]
    assert request["path"] == "/v12.0/me/messages"
    assert request["query"]["access_token"] == [FACEBOOK_ENV["FACEBOOK_PAGE_ACCESS_TOKEN"]]


def test_messenger_button_tap_is_a_postback_in_the_same_conversation(servers, zalo_api, kb):
    messenger_post(servers, messenger_event("fb-en", "does the hsg hurt"))
    before = len(zalo_api.sent_to("fb-en", 2))
    messenger_post(servers, messenger_event("fb-en", postback="/hsg_medication"))
    sent = zalo_api.sent_to("fb-en", before + 1)
    assert sent[-1]["message"]["text"] == kb.topics["hsg_medication"].answer["en"]
    # a quick reply comes back as its payload, like a postback
    messenger_post(servers, messenger_event("fb-en", quick_reply="/feedback_helpful"))
    assert "glad it helped" in zalo_api.sent_to("fb-en", len(sent) + 1)[-1]["message"]["text"]


def test_messenger_webhook_verification(servers):
    url = f"http://127.0.0.1:{servers.rasa_port}/webhooks/facebook/webhook"
    ok = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "test-verify",
                                   "hub.challenge": "12345"}, timeout=10)
    assert (ok.status_code, ok.text) == (200, "12345")
    assert requests.get(url, params={"hub.verify_token": "wrong", "hub.challenge": "1"}, timeout=10).status_code == 403


@pytest.mark.parametrize(
    "event, signature, raw, status",
    [
        (messenger_event("fb-bad", "hi"), "sha256=" + "0" * 64, None, 403),
        (messenger_event("fb-bad", "hi"), "", None, 403),
        (None, None, b"{not json", 400),
        (None, None, b"[]", 400),
        ({"object": "page", "entry": [{"id": "1"}]}, None, None, 400),
        ({"object": "page", "entry": [{"messaging": [{"message": {"text": "hi"}}]}]}, None, None, 400),
        ({"object": "user", "entry": []}, None, None, 400),
    ],
)
def test_messenger_refuses_bad_requests_cleanly(servers, zalo_api, event, signature, raw, status):
    assert messenger_post(servers, event, signature=signature, raw=raw).status_code == status
    assert zalo_api.sent_to("fb-bad", 1, timeout=0.5) == []


# --- Telegram -------------------------------------------------------------------------------

def telegram_update(chat_id, text=None, callback=None):
    user = {"id": chat_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    chat = {"id": chat_id, "type": "private", "first_name": "Lan"}
    update = {"update_id": int(time.time() * 1000) % 10**9}
    if callback:
        update["callback_query"] = {"id": "cb1", "from": user, "chat_instance": "1", "data": callback,
                                    "message": {"message_id": 5, "date": int(time.time()), "chat": chat,
                                                "text": "previous answer"}}
    else:
        update["message"] = {"message_id": 7, "date": int(time.time()), "chat": chat, "from": user,
                             "text": text}
    return update


def telegram_post(servers, update, secret=None, raw=None):
    body = raw if raw is not None else json.dumps(update).encode()
    secret = TELEGRAM_ENV["TELEGRAM_SECRET_TOKEN"] if secret is None else secret
    return post(servers, "telegram", body, {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})


def test_telegram_answers_with_inline_buttons(servers, zalo_api, kb):
    assert telegram_post(servers, telegram_update(5551, "what is hsg")).status_code == 200
    sent = zalo_api.sent_to("5551", 2)
    assert sent[0]["text"] == kb.topics["hsg_definition"].answer["en"]  # then the disclaimer
    keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in keyboard for b in row] == [
        f"/{t}" for t in kb.topics["hsg_definition"].related] + FEEDBACK
    request = [r for r in zalo_api.requests if zalo_api.recipient(r["json"]) == "5551"][0]
    assert request["path"] == f"/bot{TELEGRAM_ENV['TELEGRAM_ACCESS_TOKEN']}/sendMessage"


def test_telegram_button_tap_answers_in_the_same_conversation(servers, zalo_api, kb):
    telegram_post(servers, telegram_update(5552, "chụp hsg có đau không"))
    before = len(zalo_api.sent_to("5552", 2))
    telegram_post(servers, telegram_update(5552, callback="/hsg_procedure"))
    sent = zalo_api.sent_to("5552", before + 1)
    assert sent[-1]["text"] == kb.topics["hsg_procedure"].answer["vi"]


@pytest.mark.parametrize(
    "update, secret, raw, status",
    [
        (telegram_update(5559, "hi"), "wrong", None, 403),
        (telegram_update(5559, "hi"), "", None, 403),
        (None, None, b"{not json", 400),
        (None, None, b"[1]", 400),
        ({"message": {"text": "no update id"}}, None, None, 400),
    ],
)
def test_telegram_refuses_bad_requests_cleanly(servers, zalo_api, update, secret, raw, status):
    assert telegram_post(servers, update, secret=secret, raw=raw).status_code == status
    assert zalo_api.sent_to("5559", 1, timeout=0.5) == []


def test_telegram_ignores_non_text_updates(servers, zalo_api):
    sticker = telegram_update(5558, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1,
                                     "is_animated": False}
    assert telegram_post(servers, sticker).status_code == 200
    assert zalo_api.sent_to("5558", 1, timeout=0.5) == []
