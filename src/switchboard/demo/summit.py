"""Summit Roofing & Solar, the fully stocked demo company: its profile, staff, contacts,
leads, appointments, shifts and tasks. A Denver-metro roofing, solar, gutter and heat-pump
contractor in the middle of a hail season.

Phone numbers use the 555-01XX range, which is reserved for fiction, and emails use the
reserved example.* domains, so nothing here can reach a real person.
"""

from __future__ import annotations

from switchboard.crm.models import AppointmentStatus, LeadStatus, ShiftStatus
from switchboard.demo.specs import (
    AppointmentSpec,
    ContactSpec,
    LeadSpec,
    ShiftSpec,
    StaffSpec,
    TaskSpec,
    TenantSpec,
    When,
    ago,
    ahead,
    day,
)
from switchboard.tasks.models import AssignedRole, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role

MANAGER = "manager@demo.test"
CSR = "csr@demo.test"
CSR2 = "csr2@demo.test"
REP = "rep@demo.test"
REP2 = "rep2@demo.test"
REP3 = "rep3@demo.test"

MISSED_CALL_TEXT = (
    "Sorry we missed your call! This is Summit Roofing & Solar. How can we help: a leak, "
    "hail damage, solar, or something else? Reply here and we'll get right back to you."
)

TENANT = TenantSpec(
    name="Summit Roofing & Solar",
    slug="summit-demo",
    timezone="America/Denver",
    business_hours={
        "mon": ["07:30", "18:00"],
        "tue": ["07:30", "18:00"],
        "wed": ["07:30", "18:00"],
        "thu": ["07:30", "18:00"],
        "fri": ["07:30", "18:00"],
        "sat": ["08:00", "14:00"],
        "sun": None,
    },
    office_phone="+13035550142",
    number="+15555550100",
    whatsapp=True,
    help_text=(
        "Summit Roofing & Solar: roof repairs and replacements, hail and insurance claims, "
        "solar, gutters and heat pumps. Office (303) 555-0142, Mon-Fri 7:30-6, Sat 8-2. "
        "Reply STOP to opt out."
    ),
    missed_call_text=MISSED_CALL_TEXT,
)

STAFF = (
    StaffSpec(MANAGER, "Dana Whitaker", Role.manager, "+13035550110"),
    StaffSpec(CSR, "Maria Alvarez", Role.csr, "+13035550111"),
    StaffSpec(CSR2, "Jordan Kim", Role.csr, "+13035550112"),
    StaffSpec(REP, "Tyler Brooks", Role.rep, "+17205550160"),
    StaffSpec(REP2, "Nicole Okafor", Role.rep, "+17205550161"),
    StaffSpec(REP3, "Marcus Reyes", Role.rep, "+17205550162"),
)


def _contact(
    key: str,
    name: str,
    phone: str,
    email: str,
    address: str,
    source: str,
    tags: tuple[str, ...],
    created: When,
    *,
    notes: str | None = None,
    sms: bool = True,
    whatsapp: bool = False,
    other_phone: str | None = None,
) -> ContactSpec:
    """One entry per contact: `name` ends with the surname ("Mark & Lisa Henderson" is a
    household); `address` is "street, city, postal code" in Colorado."""
    first, last = name.rsplit(" ", 1)
    street, city, postal_code = (part.strip() for part in address.split(","))
    return ContactSpec(
        key=key,
        first_name=first,
        last_name=last,
        phone=phone,
        email=email,
        street=street,
        city=city,
        state="CO",
        postal_code=postal_code,
        lead_source=source,
        tags=tags,
        created=created,
        notes=notes,
        sms=sms,
        whatsapp=whatsapp,
        other_phone=other_phone,
    )


CONTACTS = (
    _contact(
        "holt", "Karen Holt", "+13035550117", "karen.holt@example.com",
        "8421 W Quarles Dr, Littleton, 80128", "Storm canvass",
        ("hail", "insurance-claim", "state-farm"), day(-3, "10:12"),
        notes="Canvasser left a door hanger after the hailstorm. Claim open with State Farm.",
    ),
    _contact(
        "nguyen", "David Nguyen", "+17205550123", "dnguyen@example.net",
        "2716 S Joplin St, Aurora, 80013", "Google Ads", ("solar", "spouse-decision"),
        day(-9, "19:42"), other_phone="+17205550124",
        notes="Wife Linh (second number) decides on finances; both must attend the proposal.",
    ),
    _contact(
        "parker", "Linda Parker", "+13035550135", "lindaparker@example.com",
        "1540 Kipling St, Lakewood, 80215", "Website form", ("repair", "leak", "reviewed"),
        day(-12, "07:46"),
    ),
    _contact(
        "castillo", "Robert Castillo", "+17205550141", "bob.castillo@example.net",
        "10245 Routt Ct, Westminster, 80021", "Referral", ("price-shopper",),
        day(-16, "12:30"), notes="Goes by Bob. Referred by his brother-in-law (2023 roof).",
    ),
    _contact(
        "walsh", "Jennifer Walsh", "+13035550152", "jwalsh@example.org",
        "4862 Sunridge Ct, Castle Rock, 80109", "Home show",
        ("solar", "roof-before-solar"), day(-11, "14:05"), whatsapp=True,
        notes="Prefers WhatsApp. Roof is 17 years old.",
    ),
    _contact(
        "thompson", "Michael Thompson", "+17205550158", "mthompson@example.com",
        "6375 S Ouray Way, Centennial, 80016", "Nextdoor", ("gutters",), ago(minutes=22),
    ),
    _contact(
        "patel", "Priya Patel", "+13035550163", "priya.patel@example.com",
        "9870 Clairton Way, Highlands Ranch, 80126", "Google Business Profile",
        ("hvac", "heat-pump", "rebate"), day(-3, "15:29"),
        notes="20-year-old gas furnace, no AC. Dog in the back yard: use the side gate.",
    ),
    _contact(
        "oconnor", "James O'Connor", "+17205550169", "jim.oconnor@example.net",
        "3391 Yarrow St, Wheat Ridge, 80033", "Door knock", ("hail", "insurance-denied"),
        day(-20, "16:40"),
    ),
    _contact(
        "miller", "Susan Miller", "+13035550174", "susan.miller@example.org",
        "12034 E Arizona Ave, Aurora, 80012", "Storm canvass",
        ("hail", "insurance-claim", "usaa"), day(-25, "11:15"),
    ),
    _contact(
        "mendoza", "Carlos Mendoza", "+17205550131", "carlos.mendoza@example.com",
        "5521 W 64th Ave, Arvada, 80003", "Facebook", ("solar",), ago(hours=5, minutes=1),
        sms=False,
    ),
    _contact(
        "chen", "Emily Chen", "+13035550186", "emily.chen@example.com",
        "2290 Spruce St, Boulder, 80302", "Referral", ("solar", "hoa"), day(-2, "09:04"),
        notes="Referred by Dan Whitfield (Louisville install). HOA: Wildwood Estates.",
    ),
    _contact(
        "becker", "Tom Becker", "+17205550192", "tbecker@example.net",
        "7702 S Garfield Way, Centennial, 80122", "Storm canvass",
        ("hail", "insurance-claim", "usaa", "supplement"), day(-6, "10:30"),
    ),
    _contact(
        "russo", "Angela Russo", "+13035550108", "angela.russo@example.com",
        "418 Pinecone Ct, Parker, 80138", "Yard sign", ("gutters", "gutter-guards"),
        day(-30, "17:20"),
    ),
    _contact(
        "wright", "Kevin Wright", "+17205550113", "kwright@example.org",
        "11650 Newton St, Westminster, 80031", "Angi", ("hvac", "furnace"),
        day(-14, "08:55"),
    ),
    _contact(
        "henderson", "Mark & Lisa Henderson", "+13035550127", "lisa.henderson@example.com",
        "2045 Dahlia St, Denver, 80207", "Google Ads", ("roof-replacement",),
        day(-5, "13:02"),
    ),
    _contact(
        "ostrowski", "Greg Ostrowski", "+17205550138", "greg.ostrowski@example.net",
        "880 Garrison St, Lakewood, 80215", "Facebook", ("solar", "financing"),
        day(-18, "20:10"),
    ),
    _contact(
        "morales", "Stephanie Morales", "+13035550146", "smorales@example.com",
        "3160 W Hampden Ave, Englewood, 80110", "Google Ads", ("wind-damage", "missed-call"),
        ago(hours=3, minutes=1),
    ),
    _contact(
        "kowalski", "Brian Kowalski", "+17205550155", "brian.kowalski@example.org",
        "14225 Elizabeth St, Thornton, 80602", "Website form", ("gutters",),
        day(-4, "12:48"), whatsapp=True,
    ),
    _contact(
        "lindqvist", "Heather Lindqvist", "+13035550161", "heather.l@example.com",
        "1204 Ford St, Golden, 80401", "Door knock", ("skylight", "leak"), day(-2, "15:20"),
    ),
    _contact(
        "garcia", "Victor Garcia", "+17205550179", "victor.garcia@example.com",
        "6780 E 62nd Pl, Commerce City, 80022", "Google Ads", ("hvac", "ac-install", "rebate"),
        day(-7, "10:10"),
    ),
    _contact(
        "delgado", "Rosa Delgado", "+17205550186", "rosa.delgado@example.com",
        "1450 S Federal Blvd, Denver, 80219", "Google Ads", ("hvac", "heat-pump", "spanish"),
        day(-6, "11:30"),
    ),
    _contact(
        "whitfield", "Dana Whitfield", "+13035550192", "dana.whitfield@example.net",
        "2291 S Vaughn Way, Aurora, 80014", "Nextdoor", ("gutters",), day(-1, "08:50"),
    ),
)  # fmt: skip

LEADS = (
    LeadSpec("holt", LeadStatus.appointment_set, "roofing", "Storm canvass", 18_400, REP, 1),
    LeadSpec("nguyen", LeadStatus.appointment_set, "solar", "Google Ads", 32_500, REP2, 3,
             notes="8.4 kW system, 21 panels; Xcel bill averages $186/month."),
    LeadSpec("parker", LeadStatus.won, "roofing", "Website form", 1_850, REP, 2,
             notes="Emergency tarp, then step-flashing repair over the kitchen window."),
    LeadSpec("castillo", LeadStatus.lost, "roofing", "Referral", 14_200, REP3, 42,
             lost_reason="Signed with a lower bid ($11,900) from another roofer."),
    LeadSpec("walsh", LeadStatus.appointment_set, "solar", "Home show", 41_000, REP, 1_080,
             notes="Solar plus a possible reroof first: one permit, one loan."),
    LeadSpec("thompson", LeadStatus.new, "gutters", "Nextdoor", 2_400, None, None),
    LeadSpec("patel", LeadStatus.appointment_set, "hvac", "Google Business Profile", 12_800,
             REP3, 1, notes="Cold-climate heat pump to replace a 20-year-old furnace."),
    LeadSpec("oconnor", LeadStatus.lost, "roofing", "Door knock", 17_600, REP, 1,
             lost_reason="State Farm denied the hail claim as wear and tear; homeowner "
             "won't pay out of pocket."),
    LeadSpec("miller", LeadStatus.won, "roofing", "Storm canvass", 16_750, REP2, 8,
             notes="USAA claim approved; $1,000 deductible. Duration shingles, Driftwood."),
    LeadSpec("mendoza", LeadStatus.new, "solar", "Facebook", 28_000, None, None),
    LeadSpec("chen", LeadStatus.appointment_set, "solar", "Referral", 26_500, REP, 1),
    LeadSpec("becker", LeadStatus.appointment_set, "roofing", "Storm canvass", 19_900, REP3, 11,
             notes="USAA adjuster on site today; expect a ridge-cap supplement."),
    LeadSpec("russo", LeadStatus.won, "gutters", "Yard sign", 3_100, REP2, 25),
    LeadSpec("wright", LeadStatus.lost, "hvac", "Angi", 9_400, REP3, 37,
             lost_reason="Repaired the existing furnace (new igniter) instead of replacing."),
    LeadSpec("henderson", LeadStatus.appointment_set, "roofing", "Google Ads", 21_300, REP2, 1.5),
    LeadSpec("ostrowski", LeadStatus.lost, "solar", "Facebook", 24_000, REP, 240,
             lost_reason="Solar loan declined (debt-to-income); not interested in a lease."),
    LeadSpec("morales", LeadStatus.contacted, "roofing", "Google Ads", 15_500, None, 9),
    LeadSpec("kowalski", LeadStatus.contacted, "gutters", "Website form", 3_800, None, 16),
    LeadSpec("lindqvist", LeadStatus.appointment_set, "roofing", "Door knock", 2_600, REP3, 0.5,
             notes="Skylight over the stairs leaks; roof is 22 years old."),
    LeadSpec("garcia", LeadStatus.qualified, "hvac", "Google Ads", 11_200, REP3, 27,
             notes="Central AC install; waiting on Xcel rebate pre-approval."),
    LeadSpec("delgado", LeadStatus.qualified, "hvac", "Google Ads", 9_800, REP3, 35),
    LeadSpec("whitfield", LeadStatus.contacted, "gutters", "Nextdoor", 2_900, None, 20),
)  # fmt: skip

APPOINTMENTS = (
    # today
    AppointmentSpec("holt-inspection", "holt", REP, "Hail damage inspection",
                    day(0, "08:30"), 90, AppointmentStatus.confirmed,
                    "State Farm claim open; wants us on the roof before the adjuster."),
    AppointmentSpec("walsh-consult", "walsh", REP, "Solar consultation + roof check",
                    day(0, "11:00"), 90, AppointmentStatus.confirmed,
                    "Roof is 17 years old: assess before the panel layout. Gate code 4471."),
    AppointmentSpec("henderson-estimate", "henderson", REP2, "Roof replacement estimate",
                    day(0, "14:00"), 90, AppointmentStatus.confirmed),
    AppointmentSpec("becker-adjuster", "becker", REP3, "Adjuster meeting (USAA)",
                    day(0, "16:30"), 60, AppointmentStatus.scheduled,
                    "Bring hail photos and the ridge-cap supplement."),
    # tomorrow and later
    AppointmentSpec("nguyen-proposal", "nguyen", REP2, "Solar proposal review (both homeowners)",
                    day(1, "18:00"), 90, AppointmentStatus.confirmed,
                    "Evening so Linh can join. Bring the 25-year production guarantee."),
    AppointmentSpec("patel-sizing", "patel", REP3, "Heat pump sizing visit",
                    day(1, "09:00"), 90, AppointmentStatus.confirmed,
                    "Use the side gate; dog in the back yard."),
    AppointmentSpec("chen-survey", "chen", REP, "Solar site survey",
                    day(1, "13:00"), 60, AppointmentStatus.scheduled,
                    "HOA (Wildwood Estates): bring the architectural request form."),
    AppointmentSpec("lindqvist-inspection", "lindqvist", REP3, "Skylight leak + roof inspection",
                    day(2, "10:00"), 60, AppointmentStatus.scheduled),
    # past
    AppointmentSpec("parker-repair", "parker", REP, "Leak repair: kitchen ceiling",
                    day(-11, "09:00"), 120, AppointmentStatus.completed,
                    "Failed step flashing above the kitchen window; replaced and resealed."),
    AppointmentSpec("miller-walkthrough", "miller", REP2, "Insurance scope walkthrough",
                    day(-9, "10:30"), 90, AppointmentStatus.completed),
    AppointmentSpec("russo-gutters", "russo", REP2, "Gutter + guard estimate",
                    day(-8, "13:30"), 60, AppointmentStatus.completed),
    AppointmentSpec("kowalski-estimate", "kowalski", REP, "Roof and gutter estimate",
                    day(-3, "10:00"), 60, AppointmentStatus.completed),
    AppointmentSpec("castillo-estimate", "castillo", REP3, "Roof replacement estimate",
                    day(-5, "15:00"), 90, AppointmentStatus.completed),
    AppointmentSpec("wright-furnace", "wright", REP3, "Furnace replacement consult",
                    day(-4, "17:00"), 60, AppointmentStatus.no_show,
                    "Nobody home; two calls went to voicemail."),
    AppointmentSpec("oconnor-reinspection", "oconnor", REP, "Adjuster re-inspection",
                    day(-2, "11:00"), 60, AppointmentStatus.cancelled,
                    "Cancelled: State Farm denied the claim as wear and tear."),
    AppointmentSpec("nguyen-first", "nguyen", REP2, "Solar proposal review",
                    day(-1, "14:00"), 90, AppointmentStatus.rescheduled,
                    "Moved to an evening so both homeowners can attend."),
)  # fmt: skip

SHIFTS = (
    ShiftSpec(REP, day(0, "07:30"), 9.5, "Southwest metro: Littleton, Castle Rock",
              ShiftStatus.active),
    ShiftSpec(REP2, day(0, "09:00"), 9, "Central Denver + Aurora", ShiftStatus.active),
    ShiftSpec(REP3, day(0, "08:00"), 10, "South metro: Centennial, Highlands Ranch",
              ShiftStatus.active),
    ShiftSpec(REP, day(1, "08:00"), 8, "Boulder County", ShiftStatus.scheduled),
    ShiftSpec(REP2, day(1, "10:00"), 10, "Aurora + Douglas County", ShiftStatus.scheduled),
    ShiftSpec(REP3, day(1, "08:00"), 8, "Highlands Ranch + Centennial", ShiftStatus.scheduled),
    ShiftSpec(REP, day(-1, "07:30"), 9, "West metro: Wheat Ridge, Lakewood, Golden",
              ShiftStatus.completed),
    ShiftSpec(REP2, day(-1, "08:00"), 9, "Aurora", ShiftStatus.completed),
    ShiftSpec(REP3, day(-1, "08:00"), 9, "North metro: Westminster, Thornton",
              ShiftStatus.completed),
    ShiftSpec(REP2, day(2, "08:00"), 9, "Douglas County", ShiftStatus.cancelled),
)  # fmt: skip

_open, _done, _cancelled = TaskStatus.open, TaskStatus.completed, TaskStatus.cancelled
_high, _medium, _low = TaskPriority.high, TaskPriority.medium, TaskPriority.low

TASKS = (
    TaskSpec("Call Karen Holt with the insurance scope after her inspection",
             "Walk her through the damage photos and what to expect from the adjuster.",
             _open, _high, AssignedRole.rep, TaskSource.manual, day(0, "12:00"),
             assignee=REP, created_by=CSR, contact="holt", lead=True,
             appointment="holt-inspection"),
    TaskSpec("Customer deciding with spouse - check back in 2 days",
             "David wants his wife Linh at the proposal review and they will decide together. "
             "Check in two days after the review; don't push before then.",
             _open, _medium, AssignedRole.ai, TaskSource.otto, ahead(days=2),
             contact="nguyen", lead=True, call="nguyen-spouse"),
    TaskSpec("Send Bob Castillo a line-item comparison against the $11,900 bid",
             "Show ice and water shield, drip edge, Class 4 shingles and the 10-year warranty.",
             _cancelled, _medium, AssignedRole.rep, TaskSource.manual, day(-3, "12:00"),
             assignee=REP3, created_by=REP3, contact="castillo", lead=True,
             call="castillo-price", closed=day(-4, "18:05")),
    TaskSpec("Call back Carlos Mendoza about his solar voicemail",
             "Saw the zero-down Facebook ad; prefers mornings. No SMS consent: call, don't text.",
             _open, _high, AssignedRole.csr, TaskSource.otto, ago(hours=3),
             assignee=CSR, contact="mendoza", lead=True, call="mendoza-voicemail"),
    TaskSpec("Send confirmation texts for tomorrow's appointments",
             "Three visits tomorrow; ask each customer to reply C to confirm.",
             _open, _medium, AssignedRole.ai, TaskSource.system, day(0, "17:00")),
    TaskSpec("Bring hail photos and the ridge-cap supplement to the adjuster meeting",
             "USAA adjuster meets Tom Becker at 4:30. Photos are in the inspection report.",
             _open, _high, AssignedRole.rep, TaskSource.assistant, day(0, "16:00"),
             assignee=REP3, created_by=MANAGER, contact="becker", lead=True,
             appointment="becker-adjuster"),
    TaskSpec("Heather Lindqvist's skylight is dripping again: offer an earlier visit",
             "Voicemail this morning. See if Marcus can swing by Golden before the booked "
             "inspection, or offer an emergency tarp.",
             _open, _high, AssignedRole.csr, TaskSource.otto, ahead(minutes=50),
             assignee=CSR2, contact="lindqvist", lead=True, call="lindqvist-voicemail"),
    TaskSpec("Respond to the new Nextdoor lead, Michael Thompson",
             "Speed-to-lead target is 5 minutes. Wants seamless gutters and guards on a two-story.",
             _open, _high, AssignedRole.csr, TaskSource.system, ago(minutes=17),
             assignee=CSR2, contact="thompson", lead=True),
    TaskSpec("Kevin Wright's text bounced (30003): verify his number",
             "The carrier reported the handset unreachable.",
             _open, _medium, AssignedRole.csr, TaskSource.system, day(-1, "12:00"),
             assignee=CSR2, contact="wright"),
    TaskSpec("Stephanie Morales wants an afternoon inspection: call her",
             "Auto-reply handed off: she asked for a price for a few missing shingles.",
             _done, _high, AssignedRole.csr, TaskSource.auto_reply, ago(hours=2, minutes=45),
             assignee=CSR, contact="morales", lead=True, closed=ago(hours=2, minutes=40)),
    TaskSpec("Text Priya Patel the rebate checklist before her visit",
             "Xcel needs the AHRI certificate and a load calculation; Marcus brings both.",
             _open, _medium, AssignedRole.csr, TaskSource.otto, day(0, "17:30"),
             assignee=CSR2, contact="patel", lead=True, call="patel-heat-pump"),
    TaskSpec("Ask Linda Parker for a Google review",
             "Job closed; send the review link.",
             _done, _low, AssignedRole.ai, TaskSource.system, day(-10, "16:00"),
             contact="parker", closed=day(-10, "16:00")),
    TaskSpec("Quote Jennifer Walsh's reroof and solar as one project",
             "She asked for one permit and one loan. Price the reroof under the array first.",
             _open, _medium, AssignedRole.rep, TaskSource.otto, ahead(days=1),
             assignee=REP, contact="walsh", lead=True, appointment="walsh-consult",
             call="walsh-roof-first"),
    TaskSpec("Order Owens Corning Duration shingles (Driftwood) for Susan Miller",
             "32 squares plus ridge cap; deliver the day before install.",
             _done, _high, AssignedRole.rep, TaskSource.manual, day(-8, "12:00"),
             assignee=REP2, created_by=REP2, contact="miller", lead=True,
             appointment="miller-walkthrough", closed=day(-8, "10:20")),
    TaskSpec("Schedule the gutter crew for Angela Russo",
             "Seamless 6-inch K-style with guards, Musket Brown.",
             _done, _medium, AssignedRole.manager, TaskSource.manual, day(-6, "17:00"),
             assignee=MANAGER, created_by=MANAGER, contact="russo", lead=True,
             appointment="russo-gutters", closed=day(-7, "15:10")),
    TaskSpec("Re-run Greg Ostrowski's financing with a co-signer",
             "Greg would rather wait until his car loan is paid off.",
             _cancelled, _low, AssignedRole.rep, TaskSource.manual, day(-2, "12:00"),
             assignee=REP, created_by=REP, contact="ostrowski", lead=True,
             call="ostrowski-financing", closed=day(-4, "09:30")),
    TaskSpec("Quote a ridge vent for Linda Parker's attic",
             "From the in-home recording: the upstairs runs hot and the attic frosts in winter.",
             _open, _low, AssignedRole.rep, TaskSource.shunya, ahead(days=5),
             assignee=REP, contact="parker", appointment="parker-repair"),
    TaskSpec("Bring skylight flashing options to Heather Lindqvist",
             "From the door-knock recording: she would rather fix the skylight than replace it.",
             _open, _medium, AssignedRole.rep, TaskSource.shunya, day(2, "09:30"),
             assignee=REP3, contact="lindqvist", lead=True,
             appointment="lindqvist-inspection"),
    TaskSpec("Register Susan Miller's shingle warranty with Owens Corning",
             "She asked about the warranty transfer if they sell.",
             _done, _medium, AssignedRole.csr, TaskSource.shunya, day(-3, "17:00"),
             assignee=CSR, contact="miller", closed=day(-4, "11:00")),
    TaskSpec("Ask James O'Connor whether he wants to appeal the denied claim",
             "He decided not to appeal; lead closed as lost.",
             _done, _medium, AssignedRole.rep, TaskSource.manual, day(-1, "17:00"),
             assignee=REP, created_by=REP, contact="oconnor", lead=True,
             appointment="oconnor-reinspection", closed=day(-1, "14:30")),
    TaskSpec("Rebook Kevin Wright's missed furnace consult",
             "No-show. He had the furnace repaired instead.",
             _done, _medium, AssignedRole.csr, TaskSource.system, day(-3, "12:00"),
             assignee=CSR2, contact="wright", lead=True, appointment="wright-furnace",
             closed=day(-3, "10:20")),
    TaskSpec("Coach Marcus on price objections (Castillo call)",
             "Call analysis: the price gap came up before the value was on the table.",
             _open, _low, AssignedRole.manager, TaskSource.otto, ahead(days=4),
             assignee=MANAGER, contact="castillo", call="castillo-price"),
    TaskSpec("Send the morning digest to the managers",
             "Appointments, overdue follow-ups and yesterday's bookings.",
             _done, _low, AssignedRole.ai, TaskSource.system, day(-1, "07:00"),
             closed=day(-1, "07:00")),
    TaskSpec("Brian Kowalski asked K-style vs half-round pricing",
             "Auto-reply handed off on WhatsApp: needs exact prices for 180 feet.",
             _open, _medium, AssignedRole.csr, TaskSource.auto_reply, day(0, "15:00"),
             assignee=CSR, contact="kowalski", lead=True),
    TaskSpec("Send Emily Chen the HOA architectural request form",
             "Wildwood Estates wants it two weeks before install.",
             _open, _medium, AssignedRole.csr, TaskSource.otto, ahead(days=1),
             assignee=CSR2, contact="chen", lead=True, appointment="chen-survey",
             call="chen-hoa"),
    TaskSpec("Weekly pipeline review with the reps",
             "Hail claims waiting on adjusters, solar proposals out, lost-deal reasons.",
             _open, _medium, AssignedRole.manager, TaskSource.manual, day(1, "08:00"),
             assignee=MANAGER, created_by=MANAGER),
    TaskSpec("Approve Tom Becker's ridge-cap supplement",
             "Marcus needs sign-off before the adjuster meeting.",
             _open, _high, AssignedRole.manager, TaskSource.assistant, day(-1, "17:00"),
             assignee=MANAGER, created_by=REP3, contact="becker", lead=True),
    TaskSpec("Text to Greg Ostrowski was filtered (30007): call him instead",
             "The carrier filtered the lease summary text.",
             _open, _high, AssignedRole.rep, TaskSource.system, day(-2, "17:00"),
             assignee=REP, contact="ostrowski"),
    TaskSpec("Look up Jennifer Walsh's net-metering question",
             "Duplicate of the reroof and solar follow-up.",
             _cancelled, _low, AssignedRole.ai, TaskSource.otto, day(-1, "12:00"),
             contact="walsh", closed=day(-1, "09:00")),
    TaskSpec("Follow up with Victor Garcia on his Xcel rebate pre-approval",
             "Pre-approval usually takes a week; he won't book the AC install without it. "
             "Ask whether Xcel has answered and offer Marcus's first open install date.",
             _open, _medium, AssignedRole.ai, TaskSource.otto, day(0, "15:00"),
             contact="garcia", lead=True),
)  # fmt: skip
