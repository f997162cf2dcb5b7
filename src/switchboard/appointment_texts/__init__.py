"""Appointment texts: the confirmation when an appointment is booked and the reminders
before it, sent by Otto through the normal outbound pipeline (docs/appointment-texts.md)."""
