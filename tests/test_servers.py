"""The real thing: the action server and the Rasa server on 127.0.0.1, talked to over REST and
socket.io, including what a patient gets when the action server is down."""
import json
import sqlite3
import time

import pytest
import requests

from tests.live import HOTLINE, MODEL, ZALO_ENV, socketio_ask

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: make train")


def texts(replies):
    return " ".join(r.get("text", "") for r in replies)


def test_english_question_gets_the_english_answer_with_buttons(servers, kb):
    replies = servers.say("en-1", "does the hsg test hurt?")
    assert replies[0]["text"] == kb.topics["hsg_pain"].answer["en"], replies  # the answer leads
    assert "not a diagnosis" in replies[-1]["text"]  # first message of the conversation
    payloads = [b["payload"] for b in replies[-1]["buttons"]]
    assert payloads == [f"/{t}" for t in kb.topics["hsg_pain"].related] + [
        "/feedback_helpful", "/feedback_not_helpful"]


@pytest.mark.parametrize("text", ["chup hsg co dau ko", "Chụp HSG có đau không ạ?"])
def test_vietnamese_with_or_without_accents_gets_the_vietnamese_answer(servers, kb, text):
    replies = servers.say(f"vi-{hash(text)}", text)
    assert kb.topics["hsg_pain"].answer["vi"] in texts(replies)


def test_button_payload_answers_in_the_conversation_language(servers, kb):
    servers.say("btn", "chup hsg co dau ko")
    replies = servers.say("btn", "/hsg_medication")
    assert texts(replies).endswith(kb.topics["hsg_medication"].answer["vi"])


def test_metadata_language_from_the_widget_wins(servers, kb):
    replies = servers.say("meta", "chup hsg co dau ko", metadata={"language": "en"})
    assert kb.topics["hsg_pain"].answer["en"] in texts(replies)


def test_patient_can_ask_to_switch_language(servers, kb):
    assert "English" in texts(servers.say("switch", "can you answer in English please"))
    replies = servers.say("switch", "chụp hsg có đau không")
    assert kb.topics["hsg_pain"].answer["en"] in texts(replies)


@pytest.mark.parametrize(
    "text",
    ["I've soaked 3 pads in an hour since my hsg is that normal",
     "em chụp hsg xong bị sốt 39 độ từ tối qua",
     "vo em vua ngat xiu sau khi chup"],
)
def test_urgent_symptoms_get_115_and_the_hotline(servers, text):
    reply = texts(servers.say(f"urgent-{hash(text)}", text))
    assert "115" in reply and HOTLINE in reply


@pytest.mark.parametrize("language, text, asked", [
    ("en", "We've been trying for 3 years and I had a miscarriage in 2023. My HSG is on Monday: "
           "how long does it take, and can I drive myself home afterwards?",
     ["hsg_procedure/duration", "hsg_aftercare/driving_home"]),
    ("vi", "Chào bác sĩ, em 32 tuổi, cưới 3 năm chưa có con. Cho em hỏi nên chụp vào ngày thứ mấy "
           "của chu kỳ, chụp có đau không ạ?", ["hsg_timing", "hsg_pain"]),
    ("vi", "e 29t, bs chi dinh chup voi trung. chup xong bao lau dc quan he, tia x co hai ko a",
     ["hsg_sex_after", "hsg_radiation"]),
])
def test_several_questions_get_each_answer_in_the_order_asked(servers, kb, language, text, asked):
    replies = servers.say(f"several-{hash(text)}", text)
    bodies = [r.get("text", "") for r in replies]
    for index, asked_one in enumerate(asked):
        intent, _, key = asked_one.partition("/")
        topic = kb.topics[intent]
        expected = (f"{topic.specific[key].question[language]}\n{topic.specific[key].answer[language]}"
                    if key else f"{topic.title[language]}\n{topic.brief[language]}")
        assert bodies[index] == expected, bodies
    assert HOTLINE in replies[len(asked)]["text"]  # the closing line (then the disclaimer, new chat)
    assert replies[-1]["buttons"] and all(not r.get("buttons") for r in replies[:-1])


def test_an_urgent_symptom_comes_first_then_the_other_question(servers, kb):
    replies = servers.say("urgent-and-question", "I had my HSG yesterday and since this morning I have a "
                                                  "fever of 39 with chills. Also, how much does the HSG cost?")
    assert "115" in replies[0]["text"] and HOTLINE in replies[0]["text"]
    assert kb.topics["hsg_cost"].brief["en"] in texts(replies[1:])


def test_after_an_urgent_symptom_normal_recovery_advice_is_not_given(servers, kb):
    replies = servers.say("urgent-and-sex", "I had my HSG yesterday and since this morning I have a fever of 39 "
                                            "with chills. Also, when can we have sex again?")
    assert "115" in replies[0]["text"] and HOTLINE in replies[0]["text"]
    assert kb.topics["hsg_sex_after"].brief["en"] not in texts(replies)


@pytest.mark.parametrize("text", ["how much does IVF cost", "cho em hỏi giá làm IVF"])
def test_out_of_scope_goes_to_the_hotline(servers, text):
    assert HOTLINE in texts(servers.say(f"oos-{hash(text)}", text))


def test_greeting_has_the_disclaimer_only_once(servers):
    first = texts(servers.say("greet", "hello"))
    second = texts(servers.say("greet", "hello again"))
    assert "not a diagnosis" in first and "not a diagnosis" not in second


@pytest.mark.parametrize("text", ["", "   ", "x" * 20000, "\u0000\u0007", "😀😀"])
def test_odd_input_gets_a_reply_not_an_error(servers, text):
    replies = servers.say(f"odd-{len(text)}", text)
    assert isinstance(replies, list)


def test_conversation_is_stored_in_the_tracker_store(servers):
    servers.say("stored", "what is hsg")
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        types = [row[0] for row in db.execute(
            "select type_name from events where sender_id = 'stored' order by id")]
    assert "user" in types and "bot" in types
    import os
    import stat

    # patients' questions: readable by the server's user only
    assert stat.S_IMODE(os.stat(servers.workdir / "tracker.db").st_mode) == 0o600


def test_socketio_client_gets_its_replies(servers, kb):
    socketio_ask(servers, "sio-1", "does hsg hurt", kb.topics["hsg_pain"].answer["en"], timeout=30)


def test_action_server_down_still_gives_the_hotline_then_recovers(servers, kb):
    servers.stop_actions()
    try:
        for sender, text in (("down-en", "what is hsg"), ("down-vi", "chup hsg la gi")):
            reply = texts(servers.say(sender, text))
            assert HOTLINE in reply, reply
        assert "press 0" in texts(servers.say("down-en", "does it hurt"))
        assert "bấm phím 0" in texts(servers.say("down-vi", "co dau ko"))
    finally:
        servers.start_actions()
    assert kb.topics["hsg_definition"].answer["en"] in texts(servers.say("down-en", "what is hsg"))


def test_action_server_answers_bad_requests_with_4xx_and_no_cors(servers):
    base = f"http://127.0.0.1:{servers.actions_port}"
    assert requests.get(f"{base}/nope", timeout=10).status_code == 404
    assert requests.put(f"{base}/webhook", timeout=10).status_code == 405
    assert requests.post(f"{base}/webhook", data="not json", timeout=10).status_code == 400
    preflight = requests.options(f"{base}/webhook", timeout=10, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in {k.lower() for k in preflight.headers}
    assert requests.get(f"{base}/health", timeout=10).json() == {"status": "ok"}


# --- Zalo Official Account channel (channels/zalo.py) --------------------------------------


def zalo_post(servers, event, signature=None, raw=None):
    from channels.zalo import signature_for

    body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode("utf-8")
    if signature is None and isinstance(event, dict):
        signature = signature_for(event.get("app_id", ""), body, str(event.get("timestamp", "")),
                                  ZALO_ENV["ZALO_OA_SECRET_KEY"])
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["X-ZEvent-Signature"] = signature
    return requests.post(f"http://127.0.0.1:{servers.rasa_port}/webhooks/zalo/webhook",
                         data=body, headers=headers, timeout=60)


def zalo_text(user, text, app_id=None):
    return {"app_id": app_id or ZALO_ENV["ZALO_APP_ID"], "user_id_by_app": f"app-{user}",
            "event_name": "user_send_text", "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": user}, "recipient": {"id": "oa-1"},
            "message": {"text": text, "msg_id": f"m-{time.time()}"}}


@pytest.mark.parametrize(
    "user, text, language, press",
    [("zalo-en", "does the hsg hurt?", "en", "press 0"),
     ("zalo-vi", "chup hsg co dau ko", "vi", "bấm phím 0")],
)
def test_zalo_text_is_answered_through_the_oa_api_with_buttons(
    servers, zalo_api, kb, user, text, language, press
):
    assert zalo_post(servers, zalo_text(user, text)).status_code == 200
    sent = zalo_api.sent_to(user, 2)
    assert sent[0]["message"]["text"] == kb.topics["hsg_pain"].answer[language]  # the answer leads
    disclaimer = sent[1]["message"]  # first message of the chat: the disclaimer, with the buttons
    assert press in disclaimer["text"]
    buttons = disclaimer["attachment"]["payload"]["buttons"]
    related = kb.topics["hsg_pain"].related
    # three topics and "did this help?": the five Zalo shows
    assert [b["payload"] for b in buttons] == [f"/{t}" for t in related] + ["/feedback_helpful", "/feedback_not_helpful"]
    assert [b["title"] for b in buttons][:len(related)] == [kb.topics[t].title[language] for t in related]
    assert all(b["type"] == "oa.query.hide" for b in buttons)
    request = [r for r in zalo_api.requests if zalo_api.recipient(r["json"]) == user][0]
    assert request["path"] == "/v3.0/oa/message/cs"
    assert request["headers"]["access_token"] == ZALO_ENV["ZALO_ACCESS_TOKEN"]


def test_zalo_keeps_one_conversation_per_user(servers, zalo_api, kb):
    zalo_post(servers, zalo_text("zalo-same", "what is hsg"))
    first = len(zalo_api.sent_to("zalo-same", 2))
    zalo_post(servers, zalo_text("zalo-same", "/hsg_timing"))  # a tapped button
    sent = zalo_api.sent_to("zalo-same", first + 1)
    assert len(sent) == first + 1  # no second disclaimer: the same conversation
    assert sent[-1]["message"]["text"] == kb.topics["hsg_timing"].answer["en"]


@pytest.mark.parametrize(
    "event, signature, raw, status",
    [
        (zalo_text("zalo-bad", "hi"), "mac=" + "0" * 64, None, 403),  # wrong signature
        (zalo_text("zalo-bad", "hi"), "", None, 403),  # no signature
        (zalo_text("zalo-bad", "hi", app_id="9999"), None, None, 403),  # another app's event
        (None, "mac=abc", b"{not json", 400),
        (None, "mac=abc", b"", 400),
        (None, "mac=abc", b"[1, 2]", 400),
        ({**zalo_text("zalo-bad", "hi"), "sender": None}, None, None, 400),
        ({**zalo_text("zalo-bad", "hi"), "message": {"text": 42}}, None, None, 400),
    ],
)
def test_zalo_refuses_bad_requests_cleanly(servers, zalo_api, event, signature, raw, status):
    assert zalo_post(servers, event, signature=signature, raw=raw).status_code == status
    assert zalo_api.sent_to("zalo-bad", 1, timeout=0.5) == []


def test_zalo_ignores_other_events_and_keeps_serving(servers, zalo_api):
    follow = {**zalo_text("zalo-follow", ""), "event_name": "follow"}
    follow.pop("message")
    assert zalo_post(servers, follow).status_code == 200
    assert zalo_api.sent_to("zalo-follow", 1, timeout=0.5) == []
    assert zalo_post(servers, zalo_text("zalo-after", "bye")).status_code == 200
    assert zalo_api.sent_to("zalo-after", 1)


@pytest.mark.parametrize("language, text, intent, key", [
    ("en", "how long does the HSG take? I need to tell my boss", "hsg_procedure", "duration"),
    ("vi", "chụp HSG có cần nhịn tiểu không ạ", "hsg_preparation", "full_bladder"),
    ("vi", "Cotte (+) là gì vậy bác sĩ", "hsg_results", "cotte"),
])
def test_a_specific_question_gets_its_answer_first_and_a_way_to_the_whole_topic(servers, kb, language, text,
                                                                                intent, key):
    replies = servers.say(f"specific-{hash(text)}", text)
    assert replies[0]["text"] == kb.topics[intent].specific[key].answer[language], replies
    payloads = [b["payload"] for b in replies[-1]["buttons"]]
    assert payloads[0] == f"/{intent}" and payloads[-2:] == ["/feedback_helpful", "/feedback_not_helpful"]


def test_feedback_is_thanked_stored_and_never_blocks_the_next_question(servers, kb):
    servers.say("feedback", "does the hsg test hurt?")
    reply = texts(servers.say("feedback", "/feedback_not_helpful"))
    assert "other words" in reply and HOTLINE in reply
    replies = servers.say("feedback", "chụp xong có đi máy bay được không")
    assert replies[0]["text"] in (kb.topics["hsg_aftercare"].specific["flying"].answer["vi"],
                                  kb.topics["hsg_aftercare"].answer["vi"])
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        rows = db.execute("select type_name, data from events where sender_id = 'feedback'").fetchall()
    intents = [json.loads(d)["parse_data"]["intent"]["name"] for t, d in rows if t == "user"]
    assert intents[1] == "feedback_not_helpful"
    answers = [json.loads(d)["value"] for t, d in rows if t == "slot" and json.loads(d)["name"] == "last_answers"]
    assert answers[0] == ["hsg_pain"]


def stored_events(servers, sender):
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        return db.execute("select type_name, data from events where sender_id = ?", (sender,)).fetchall()


@pytest.mark.parametrize("request_text, yes, language", [
    ("please delete my data", "yes", "en"),
    ("xóa dữ liệu của tôi", "/affirm", "vi"),
    ("xoa du lieu cua toi", "có", "vi"),
])
def test_delete_my_data_asks_then_deletes_the_conversation(servers, kb, request_text, yes, language):
    from actions.actions import messages

    sender = f"forget-{language}-{len(request_text)}-{yes}"
    servers.say(sender, "I am 35 and we tried for 2 years. Does HSG hurt?" if language == "en"
                else "em 35 tuổi, cưới 2 năm chưa có con, chụp hsg có đau không")
    assert len(stored_events(servers, sender)) > 5
    ask = servers.say(sender, request_text)
    assert [b["payload"] for b in ask[-1]["buttons"]] == ["/affirm", "/deny"]
    assert stored_events(servers, sender)  # asked only: nothing deleted yet
    done = servers.say(sender, yes)
    assert done[0]["custom"] == {"data": {"hsg": "forgotten"}}  # the widget clears its copy
    assert done[1]["text"] == messages()["forget_done"][language]
    assert stored_events(servers, sender) == []
    # the next message starts a new conversation: the disclaimer again, nothing of the old one
    hello = "hello" if language == "en" else "xin chào"
    again = texts(servers.say(sender, hello))
    assert ("not a diagnosis" if language == "en" else "tham khảo") in again
    said = [json.loads(data)["text"] for kind, data in stored_events(servers, sender) if kind == "user"]
    assert said == [hello]


def test_delete_my_data_answered_no_keeps_everything(servers):
    servers.say("keep", "how long does hsg take")
    before = len(stored_events(servers, "keep"))
    servers.say("keep", "delete my data")
    reply = texts(servers.say("keep", "/deny"))
    assert "nothing has been deleted" in reply
    assert len(stored_events(servers, "keep")) > before
    # a later "yes" is an ordinary yes, not a deletion
    servers.say("keep", "yes")
    assert stored_events(servers, "keep")


def test_delete_my_data_over_socketio(servers):
    from tests.live import socketio_client

    client = socketio_client(servers, "sio-forget")
    client.emit("user_uttered", {"message": "what should I bring to the hsg", "session_id": "sio-forget"})
    deadline = time.time() + 60
    while not stored_events(servers, "sio-forget") or len(client.received) < 2:
        assert time.time() < deadline, client.received
        time.sleep(0.2)
    client.emit("user_uttered", {"message": "delete my data", "session_id": "sio-forget"})
    client.emit("user_uttered", {"message": "/affirm", "session_id": "sio-forget"})
    while {"hsg": "forgotten"} not in client.received:
        assert time.time() < deadline, client.received
        time.sleep(0.2)
    client.disconnect()
    time.sleep(0.5)
    assert stored_events(servers, "sio-forget") == []
