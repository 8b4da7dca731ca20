"""The custom actions: thin wrappers that read the tracker and call `actions.replies`.

They read the slots and the latest message only. Rasa sends them those and the events of the
current turn, not the whole conversation (rasa_patches/); an action that needs the
history must have `HSG_ACTION_SERVER_EVENTS=all` set for Rasa.
"""
import abc
import logging
from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import settings
from actions.kb import KnowledgeBase, load_kb, load_messages
from actions.replies import (
    MAX_BUTTONS,
    URGENT_INTENT,
    Part,
    clarify_choices,
    composed_buttons,
    more_about,
    plan_parts,
    quote,
    reply_language,
    topic_buttons,
)

logger = logging.getLogger(__name__)

# The questions a greeting offers as buttons.
STARTER_TOPICS = ("hsg_definition", "hsg_preparation", "hsg_pain")
MESSAGE_KEYS = ("greet", "disclaimer", "ask_topic", "clarify", "something_else", "part_hotline",
                "part_unsure", "closing", "more_about", "warning_signs", "feedback_helpful",
                "feedback_not_helpful", "forget_done")
# Channels whose client is told that the conversation was deleted (the web widget clears its
# copy of the history); Messenger, Zalo and Telegram would send the JSON on as a message.
FORGET_NOTICE_CHANNELS = ("socketio", "rest")


@lru_cache(maxsize=None)
def knowledge_base() -> KnowledgeBase:
    """The knowledge base, loaded and validated once per process."""
    return load_kb(settings.KB_DIR)


@lru_cache(maxsize=None)
def messages() -> Dict[Text, Dict[Text, Text]]:
    """The actions' own texts, loaded and validated once per process."""
    return load_messages(settings.MESSAGES_FILE, MESSAGE_KEYS)


def language_of(tracker: Tracker) -> Text:
    return reply_language(
        (tracker.latest_message or {}).get("metadata"),
        tracker.get_slot("language_preference"),
        tracker.get_slot("language"),
        settings.DEFAULT_LANGUAGE,
    )


class HotlineSafeAction(Action, abc.ABC):
    """An action that, whatever goes wrong inside it, still answers with the hotline."""

    def __init__(self) -> None:
        # The action server creates its actions when it starts: loading here makes a broken
        # knowledge-base file stop the server at start, naming the file, instead of failing
        # a patient later.
        self.kb = knowledge_base()
        self.texts = messages()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        try:
            return self.respond(dispatcher, tracker, language_of(tracker))
        except Exception:  # the patient must never be left without an answer
            logger.exception("Action %s failed; answering with the hotline", self.name())
            dispatcher.messages.clear()
            dispatcher.utter_message(response="utter_handoff")
            return []

    @abc.abstractmethod
    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, language: Text
    ) -> List[EventType]:
        """Send the messages and return the events of the action."""

    def disclaimer_once(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, language: Text
    ) -> List[EventType]:
        """The "information, not a diagnosis" line, the first time in a conversation."""
        if not tracker.get_slot("disclaimer_shown"):
            dispatcher.utter_message(text=self.texts["disclaimer"][language])
        # Always set: every action returns an event, which is how ActionServerFallbackPolicy
        # tells an action that ran from one whose events were lost.
        return [SlotSet("disclaimer_shown", True)]


class ActionForgetMe(HotlineSafeAction):
    """Tells the patient her conversation is deleted, after she confirmed "delete my data".

    The deletion itself is the tracker store's (privacy/tracker_store.py): when it saves the
    turn in which this action ran, it deletes the conversation's stored events instead. The web
    widget gets {"hsg": "forgotten"} first (REST: {"custom": {"data": {...}}}) and clears its own copy of the conversation."""

    def name(self) -> Text:
        return "action_forget_me"

    def respond(self, dispatcher, tracker, language):
        if tracker.get_latest_input_channel() in FORGET_NOTICE_CHANNELS:
            # under "data": Rasa's socket.io output emits the JSON's keys as arguments of emit()
            dispatcher.utter_message(json_message={"data": {"hsg": "forgotten"}})
        dispatcher.utter_message(text=self.texts["forget_done"][language])
        return [SlotSet("disclaimer_shown", False)]


class ActionGreet(HotlineSafeAction):
    """Greets, with the disclaimer the first time, and offers the most asked questions."""

    def name(self) -> Text:
        return "action_greet"

    def respond(self, dispatcher, tracker, language):
        dispatcher.utter_message(text=self.texts["greet"][language])
        events = self.disclaimer_once(dispatcher, tracker, language)
        dispatcher.utter_message(
            text=self.texts["ask_topic"][language],
            buttons=topic_buttons(self.kb, STARTER_TOPICS, language),
        )
        return events


class ActionAnswerTopic(HotlineSafeAction):
    """Answers the knowledge-base topics a message asks, in the patient's language.

    One question: the topic's answer with its related topics as buttons, or, when the question
    asks one of the topic's specific answers ("how long does it take?"), that answer with a
    button to the topic's answer first. Several questions (or questions after the urgent reply):
    for each, in the order asked, the topic's title and its brief answer (the specific question
    and its answer), a hotline line for a question outside the knowledge base, or a "did you
    mean" line for one not understood; the warning signs once if a topic's brief leaves them
    out; then one closing line with the buttons.
    """

    def name(self) -> Text:
        return "action_answer_topic"

    def respond(self, dispatcher, tracker, language):
        message = tracker.latest_message or {}
        after_urgent = (message.get("intent") or {}).get("name") == URGENT_INTENT
        parts = [self._checked(part) for part in plan_parts(self.kb, message)]
        if not parts and after_urgent:
            # The urgent reply was all the message needed.
            return [SlotSet("disclaimer_shown", tracker.get_slot("disclaimer_shown") or False)]
        if not parts:
            logger.info("Nothing to answer for '%s': hotline", (message.get("intent") or {}).get("name"))
            parts = [Part("hotline", message.get("text") or "")]
        if len(parts) == 1 and not after_urgent:
            self._answer_one(dispatcher, parts[0], language)
        else:
            self._answer_several(dispatcher, parts, language, after_urgent)
        # The answer first (what the patient asked), then the disclaimer the first time, which
        # takes over the answer's buttons: on messaging apps the buttons belong on the last message.
        buttons = dispatcher.messages[-1].get("buttons") or [] if dispatcher.messages else []
        if dispatcher.messages:
            dispatcher.messages[-1]["buttons"] = []
        events = self.disclaimer_once(dispatcher, tracker, language)
        answered = [p.intent for p in parts if p.kind == "answer"]
        keys = [p.intent + (f"/{p.specific}" if p.specific else "") for p in parts if p.kind == "answer"]
        if keys:
            # "Did this help?" under a knowledge-base answer; the topics before them, so that
            # a channel that cuts the list (Zalo shows five) keeps one of each
            buttons = buttons[: MAX_BUTTONS - 1] + self.feedback_buttons(language)
        dispatcher.messages[-1]["buttons"] = buttons
        return events + [SlotSet("last_answers", keys)] + (
            [SlotSet("last_topic", answered[0])] if answered else [])

    def feedback_buttons(self, language: Text) -> List[Dict[Text, Text]]:
        return [{"title": self.texts["feedback_helpful"][language], "payload": "/feedback_helpful"},
                {"title": self.texts["feedback_not_helpful"][language], "payload": "/feedback_not_helpful"}]

    def _checked(self, part: Part) -> Part:
        """A topic without a (reviewed, when required) entry goes to the hotline; a specific
        answer not yet reviewed (when required) gives way to the topic's answer."""
        topic = self.kb.get(part.intent) if part.kind == "answer" else None
        if part.kind == "answer" and (topic is None or (settings.KB_REQUIRE_REVIEWED and not topic.reviewed)):
            logger.info("No %sanswer for '%s': hotline", "reviewed " if topic else "", part.intent)
            return Part("hotline", part.question, part.intent)
        if part.specific and settings.KB_REQUIRE_REVIEWED and not topic.specific[part.specific].reviewed:
            return Part("answer", part.question, part.intent)
        return part

    def _answer_one(self, dispatcher, part: Part, language: Text) -> None:
        if part.kind == "hotline":
            dispatcher.utter_message(response="utter_handoff")
        elif part.kind == "unsure":
            self._clarify(dispatcher, part, language)
        elif part.specific:
            topic = self.kb.topics[part.intent]
            more = more_about(self.kb, part.intent, language, self.texts["more_about"][language])
            related = topic_buttons(self.kb, topic.related, language)
            dispatcher.utter_message(
                text=topic.specific[part.specific].answer[language],
                buttons=[more] + related[: MAX_BUTTONS - 1],
            )
        else:
            topic = self.kb.topics[part.intent]
            dispatcher.utter_message(
                text=topic.answer[language],
                buttons=topic_buttons(self.kb, topic.related, language),
            )

    def _answer_several(self, dispatcher, parts: List[Part], language: Text,
                        after_urgent: bool = False) -> None:
        warn = False
        for part in parts:
            if part.kind == "answer" and part.specific:
                specific = self.kb.topics[part.intent].specific[part.specific]
                dispatcher.utter_message(text=f"{specific.question[language]}\n{specific.answer[language]}")
            elif part.kind == "answer":
                topic = self.kb.topics[part.intent]
                warn = warn or topic.warning_signs
                dispatcher.utter_message(text=f"{topic.title[language]}\n{topic.brief[language]}")
            else:
                if warn and not after_urgent:  # the warning signs right after the answers
                    dispatcher.utter_message(text=self.texts["warning_signs"][language])
                    warn = False
                key = "part_hotline" if part.kind == "hotline" else "part_unsure"
                dispatcher.utter_message(text=self.texts[key][language].format(question=quote(part.question)))
        if warn and not after_urgent:  # the urgent reply before has given them
            dispatcher.utter_message(text=self.texts["warning_signs"][language])
        dispatcher.utter_message(
            text=self.texts["closing"][language],
            buttons=composed_buttons(self.kb, parts, language),
        )

    def _clarify(self, dispatcher, part: Part, language: Text) -> None:
        buttons = topic_buttons(self.kb, part.choices, language)
        buttons.append({"title": self.texts["something_else"][language], "payload": "/request_human"})
        dispatcher.utter_message(text=self.texts["clarify"][language], buttons=buttons)


class ActionClarify(HotlineSafeAction):
    """Low confidence: "did you mean" the two likeliest topics, or something else (hotline)."""

    def name(self) -> Text:
        return "action_clarify"

    def respond(self, dispatcher, tracker, language):
        choices = clarify_choices(self.kb, tracker.latest_message.get("intent_ranking"))
        buttons = topic_buttons(self.kb, choices, language)
        buttons.append({"title": self.texts["something_else"][language], "payload": "/request_human"})
        dispatcher.utter_message(text=self.texts["clarify"][language], buttons=buttons)
        return [SlotSet("suggested_topics", choices)]
