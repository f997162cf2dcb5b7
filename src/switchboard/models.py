"""Every table, imported once so metadata (Alembic, tests) sees the whole schema."""

from switchboard.appointment_texts.models import AppointmentText, AppointmentTextSettings
from switchboard.assistant.models import ChatMessage, Conversation
from switchboard.callintel.models import RecordChange
from switchboard.crm.models import (
    Appointment,
    Call,
    CallAnalysis,
    CallTranscript,
    ContactCard,
    ContactPhone,
    Lead,
    RecordingSession,
    RepShift,
)
from switchboard.kit.jobs import Job
from switchboard.kit.models import Base
from switchboard.messaging.models import DeliveryEvent, Message, MessagingSession, OptOut
from switchboard.tasks.models import Task
from switchboard.tenancy.models import ChannelAccount, Tenant, User

__all__ = [
    "Appointment",
    "AppointmentText",
    "AppointmentTextSettings",
    "Base",
    "Call",
    "CallAnalysis",
    "CallTranscript",
    "ChannelAccount",
    "ChatMessage",
    "ContactCard",
    "ContactPhone",
    "Conversation",
    "DeliveryEvent",
    "Job",
    "Lead",
    "Message",
    "MessagingSession",
    "OptOut",
    "RecordChange",
    "RecordingSession",
    "RepShift",
    "Task",
    "Tenant",
    "User",
]
