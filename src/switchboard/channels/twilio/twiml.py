"""TwiML answers, built with twilio's own MessagingResponse and VoiceResponse."""

from __future__ import annotations

from fastapi import Response
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from switchboard.messaging.voice import CallAnswer

MEDIA_TYPE = "application/xml"
VOICEMAIL_SECONDS = 120
DIAL_TIMEOUT_SECONDS = 20
_EMPTY = str(MessagingResponse())


def twiml(document: str) -> Response:
    return Response(document, media_type=MEDIA_TYPE)


def empty() -> Response:
    """Nothing to say: Twilio sends nothing and moves on."""
    return twiml(_EMPTY)


def message_reply(text: str | None) -> Response:
    if not text:
        return empty()
    answer = MessagingResponse()
    answer.message(text)
    return twiml(str(answer))


def voice_answer(answer: CallAnswer, base_url: str) -> Response:
    """Ring the office (and fall back to voicemail via the dial callback), or take a message."""
    if answer.dial is None:
        return voicemail(answer.greeting, base_url)
    response = VoiceResponse()
    recording: dict[str, str] = {}
    if answer.record:
        # The caller hears that the call is recorded before anything is.
        response.say(answer.consent or "This call may be recorded.")
        recording = {
            "record": "record-from-answer-dual",
            "recording_status_callback": f"{base_url}/voice/recording?source=call",
            "recording_status_callback_method": "POST",
            "recording_status_callback_event": "completed",
        }
    response.dial(
        answer.dial,
        action=f"{base_url}/voice/dial",
        method="POST",
        timeout=DIAL_TIMEOUT_SECONDS,
        answer_on_bridge=True,
        **recording,
    )
    return twiml(str(response))


def voicemail(greeting: str, base_url: str) -> Response:
    response = VoiceResponse()
    response.say(greeting)
    response.record(
        action=f"{base_url}/voice/recording",
        method="POST",
        max_length=VOICEMAIL_SECONDS,
        play_beep=True,
        transcribe=True,
        transcribe_callback=f"{base_url}/voice/transcription",
    )
    # Reached only when nothing was recorded (Twilio skips the action for an empty one).
    response.say("We did not get a message. Goodbye.")
    response.hangup()
    return twiml(str(response))


def goodbye() -> Response:
    response = VoiceResponse()
    response.say("Thank you. We will call you back soon. Goodbye.")
    response.hangup()
    return twiml(str(response))


def hang_up() -> Response:
    response = VoiceResponse()
    response.hangup()
    return twiml(str(response))
