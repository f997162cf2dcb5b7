"""Lakeside Heating & Air: a small second demo company on the North Shore of Chicago, there
so tenant isolation can be seen (its staff never see Summit's data, and the reverse)."""

from __future__ import annotations

from switchboard.crm.models import AppointmentStatus, LeadStatus
from switchboard.demo.specs import (
    AppointmentSpec,
    ContactSpec,
    LeadSpec,
    MessageSpec,
    StaffSpec,
    TaskSpec,
    TenantContent,
    TenantSpec,
    ThreadSpec,
    ago,
    ahead,
    day,
)
from switchboard.messaging.models import Channel, Sender
from switchboard.tasks.models import AssignedRole, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role

MANAGER = "manager@lakeside.test"
CSR = "csr@lakeside.test"
REP = "rep@lakeside.test"

TENANT = TenantSpec(
    name="Lakeside Heating & Air",
    slug="lakeside-demo",
    timezone="America/Chicago",
    business_hours={
        "mon": ["07:00", "19:00"],
        "tue": ["07:00", "19:00"],
        "wed": ["07:00", "19:00"],
        "thu": ["07:00", "19:00"],
        "fri": ["07:00", "19:00"],
        "sat": ["08:00", "16:00"],
        "sun": None,
    },
    office_phone="+18475550150",
    number="+18475550199",
    whatsapp=False,
    help_text=(
        "Lakeside Heating & Air: furnace, boiler and AC repair, tune-ups and replacements. "
        "Office (847) 555-0150. No heat? Call us any time. Reply STOP to opt out."
    ),
    missed_call_text=(
        "Sorry we missed your call! This is Lakeside Heating & Air. Is this about no heat, "
        "no cooling, or a tune-up? Reply here and we'll call you right back."
    ),
)

STAFF = (
    StaffSpec(MANAGER, "Paul Lindgren", Role.manager, "+18475550151"),
    StaffSpec(CSR, "Tanya Brooks", Role.csr, "+18475550152"),
    StaffSpec(REP, "Luis Ortega", Role.rep, "+18475550153"),
)

CONTACTS = (
    ContactSpec(
        key="anderson", first_name="Mark", last_name="Anderson", phone="+18475550112",
        email="mark.anderson@example.com", street="1420 Judson Ave", city="Evanston",
        state="IL", postal_code="60201", lead_source="Google Ads", tags=("ac-replacement",),
        created=day(-3, "11:20"), notes="Central AC is 19 years old and uses R-22.",
    ),
    ContactSpec(
        key="patel", first_name="Neha", last_name="Patel", phone="+18475550126",
        email="neha.patel@example.net", street="9312 Keeler Ave", city="Skokie",
        state="IL", postal_code="60076", lead_source="Referral",
        tags=("furnace", "maintenance-plan"), created=ago(hours=26),
    ),
    ContactSpec(
        key="obrien", first_name="Sean", last_name="O'Brien", phone="+18475550137",
        email="sean.obrien@example.org", street="733 Greenwood Ave", city="Wilmette",
        state="IL", postal_code="60091", lead_source="Website form", tags=("boiler",),
        created=day(-1, "18:05"),
    ),
)  # fmt: skip

LEADS = (
    LeadSpec("anderson", LeadStatus.qualified, "hvac", "Google Ads", 9_800, REP, 6,
             notes="Comparing a 16 SEER2 AC against a heat pump."),
    LeadSpec("patel", LeadStatus.new, "hvac", "Referral", 189, None, None,
             notes="Furnace tune-up; rattling noise at start-up."),
)  # fmt: skip

APPOINTMENTS = (
    AppointmentSpec("anderson-estimate", "anderson", REP, "AC replacement estimate",
                    day(0, "13:00"), 90, AppointmentStatus.confirmed),
    AppointmentSpec("obrien-boiler", "obrien", REP, "Boiler no-heat diagnostic",
                    day(1, "10:00"), 60, AppointmentStatus.scheduled,
                    "Radiators upstairs cold; pilot keeps going out."),
)  # fmt: skip

TASKS = (
    TaskSpec("Send Mark Anderson the AC vs heat pump comparison",
             "He wants both options side by side before the estimate.",
             TaskStatus.open, TaskPriority.high, AssignedRole.rep, TaskSource.manual,
             day(0, "12:00"), assignee=REP, created_by=MANAGER, contact="anderson",
             lead=True, appointment="anderson-estimate"),
    TaskSpec("Call Neha Patel about a furnace tune-up",
             "Referred by a maintenance-plan customer; asked about the rattling noise.",
             TaskStatus.open, TaskPriority.medium, AssignedRole.csr, TaskSource.system,
             ago(hours=2), assignee=CSR, contact="patel", lead=True),
    TaskSpec("Confirm Sean O'Brien's boiler visit",
             "Texted and confirmed.",
             TaskStatus.completed, TaskPriority.low, AssignedRole.csr, TaskSource.otto,
             day(-1, "19:00"), assignee=CSR, contact="obrien",
             appointment="obrien-boiler", closed=day(-1, "18:40")),
    TaskSpec("Customer comparing quotes - check back in 3 days",
             "Mark has a second estimate coming from another company.",
             TaskStatus.open, TaskPriority.medium, AssignedRole.ai, TaskSource.otto,
             ahead(days=3), contact="anderson", lead=True),
)  # fmt: skip

THREADS = (
    ThreadSpec("patel", Channel.sms, "Furnace tune-up", ago(hours=26), (
        MessageSpec(Sender.customer, "Hi, do you do furnace tune-ups? Ours makes a rattling "
                    "noise when it starts."),
        MessageSpec(Sender.otto, "Yes, we do! A furnace tune-up is $189 and includes a "
                    "safety check of the heat exchanger. A rattle at start-up is often a loose "
                    "panel or blower. Would you like us to call to schedule?", 0.2),
        MessageSpec(Sender.customer, "Yes please, after 3pm is best", 5),
        MessageSpec(Sender.csr, "Hi Neha, Tanya at Lakeside. I'll call you after 3 today to "
                    "find a time.", 11, by=CSR),
    )),
)  # fmt: skip

LAKESIDE = TenantContent(
    tenant=TENANT,
    staff=STAFF,
    contacts=CONTACTS,
    leads=LEADS,
    appointments=APPOINTMENTS,
    tasks=TASKS,
    threads=THREADS,
)
