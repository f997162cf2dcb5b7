"""The longest value each stored text may hold, in one place. The columns are sized by
these, and whatever takes input refuses a longer value naming the field (the API schemas
with a 422, the Twilio webhooks with a 400): nothing is ever cut to fit. Resizing a column
needs a migration; the long-text limits (Text columns) are the API's own."""

from __future__ import annotations

# What providers send. Twilio's SIDs are 34 characters; its E.164 numbers at most 16.
PROVIDER_ID = 64  # a message or call SID, a messaging service SID
ADDRESS = 64  # a channel address: +E164, or whatsapp:+E164
PHONE = 32  # a phone number on a contact, a call, a user, a company
STATUS_WORD = 32  # a provider's status word, an opt-out keyword or source
ERROR_CODE = 16
ERROR_MESSAGE = 500
URL = 1000  # a recording or audio URL

# What staff type.
NAME = 100  # a first or last name, a city, a lead source or service, an intent, a model
TITLE = 200  # a title, a company, a person's full name, an address line, a territory
REASON = 500  # a lost reason, an appointment's address
EMAIL = 320
STATE = 50
POSTAL_CODE = 20
PHONE_LABEL = 20
LANGUAGE = 16
SENTIMENT = 20
BOOKING_OUTCOME = 32
SPEAKER = 50
ORIGIN_KEY = 200
SEGMENTS = 10_000  # speaker turns in one transcript: hours of talk
PASSWORD = 200

# Long text, stored as Text: how much the API takes.
NOTES = 10_000  # notes, descriptions, a chat message, a transcript segment
SMS_BODY = 1600  # Twilio's limit for one SMS or WhatsApp message body
SUMMARY = 20_000
TRANSCRIPT = 200_000
RECORDING_TRANSCRIPT = 500_000
SMS_TEMPLATE = 480  # a company's own text (appointment texts): three SMS segments
