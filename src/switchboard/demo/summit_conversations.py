"""What Summit's customers and staff said: the story calls (transcripts and AI analyses),
the reps' in-home recordings, and the customers' text threads."""

from __future__ import annotations

from switchboard.crm.models import CallDirection, CallOutcome, CallProvider
from switchboard.demo.specs import (
    AnalysisSpec,
    CallSpec,
    MessageSpec,
    RecordingSpec,
    ThreadSpec,
    ago,
    day,
)
from switchboard.demo.summit import CSR, CSR2, MANAGER, MISSED_CALL_TEXT, REP, REP2, REP3
from switchboard.messaging.models import Channel, MessageStatus, Sender

_in, _out = CallDirection.inbound, CallDirection.outbound


def _agent(text: str) -> tuple[str, str]:
    return ("agent", text)


def _customer(text: str) -> tuple[str, str]:
    return ("customer", text)


# --- calls ---------------------------------------------------------------------------------

CALLS = (
    CallSpec(
        "holt-intake", "holt", CSR, _in, CallOutcome.booked, day(-3, "10:12"),
        lines=(
            _agent("Thanks for calling Summit Roofing and Solar, this is Maria. How can I help?"),
            _customer("Hi Maria. That hailstorm tore up our neighborhood, and one of your guys "
                      "left a door hanger saying there might be damage on our roof too."),
            _agent("I'm sorry to hear that, we've been out in Littleton all week. Have you "
                   "noticed any leaks, or dents in the gutters and downspouts?"),
            _customer("The gutters are dinged all over, and there's a pile of granules at the "
                      "bottom of the downspouts."),
            _agent("That's a classic sign of hail bruising. We do a free inspection with "
                   "photos, and if there's damage we help you through the insurance claim."),
            _customer("I already opened a claim with State Farm. Do I need to wait for their "
                      "adjuster before you come out?"),
            _agent("No, it's actually better if we inspect first. Our rep documents every hit, "
                   "and if you like he can meet the adjuster on site so nothing gets missed."),
            _customer("Okay, that would help. I don't really know what I'm looking at up there."),
            _agent("That's what we're here for. The first opening I have is 8:30 in the "
                   "morning later this week, with Tyler. He's one of our senior reps."),
            _customer("That works. It's 8421 West Quarles Drive."),
            _agent("Got it, 8421 West Quarles Drive in Littleton. You'll get a text "
                   "confirmation from this number and a reminder the day before."),
            _customer("Perfect. Thanks, Maria."),
        ),
        analysis=AnalysisSpec(
            summary="Karen Holt called after a canvasser's door hanger: hail dents on the "
                    "gutters and granule loss. She has a State Farm claim open and asked "
                    "whether to wait for the adjuster. Maria booked a free inspection with "
                    "Tyler and offered to have him meet the adjuster.",
            sentiment="positive",
            intent="hail_damage_inspection",
            objections=("Unsure whether to wait for the insurance adjuster",),
            booking_outcome="booked",
            next_steps=("Inspect and photograph the roof before the adjuster visit",
                        "Offer to meet the State Farm adjuster on site"),
        ),
    ),
    CallSpec(
        "nguyen-spouse", "nguyen", REP2, _out, CallOutcome.unbooked, day(-1, "11:40"),
        lines=(
            _agent("Hi David, it's Nicole from Summit Roofing and Solar. I'm calling to "
                   "confirm our proposal review at two this afternoon."),
            _customer("Hi Nicole. About that: I looked over the estimate you emailed, and "
                      "honestly I need to talk to my wife before we go any further. She "
                      "handles most of our finances."),
            _agent("That makes complete sense. Solar is a twenty-five-year decision, and I'd "
                   "much rather walk you both through it together."),
            _customer("Right. She's got questions about the loan, and whether the panels will "
                      "mess up the roof."),
            _agent("Those are the two questions we hear most. We use flashed mounts with a "
                   "ten-year roof penetration warranty, and the loan has no prepayment "
                   "penalty. Would an evening work better so she can be there?"),
            _customer("Evenings are definitely better. She's not home until about five thirty."),
            _agent("I can do six o'clock. I'll release today's slot; check with her and text "
                   "us which evening works."),
            _customer("Okay. I'll talk to her tonight and text you guys."),
            _agent("Perfect. I'll also text over the production estimate so you can both look "
                   "before we meet. It shows about a hundred and forty dollars a month in "
                   "savings against your current Xcel bill."),
            _customer("That would help. Thanks, Nicole."),
        ),
        analysis=AnalysisSpec(
            summary="Nicole called to confirm the solar proposal review. David wants his wife "
                    "present because she manages the finances; her concerns are the loan and "
                    "roof penetrations. The afternoon slot was released and an evening visit "
                    "offered; David will text a day.",
            sentiment="neutral",
            intent="appointment_confirmation",
            objections=("Needs to talk to his wife before deciding",
                        "Worried panels will damage the roof",
                        "Questions about the loan terms"),
            booking_outcome="unbooked",
            next_steps=("Text the production estimate",
                        "Rebook on a weekday evening after 5:30 with both homeowners",
                        "Bring the roof penetration warranty to the proposal"),
        ),
    ),
    CallSpec(
        "castillo-price", "castillo", REP3, _out, CallOutcome.unbooked, day(-4, "16:05"),
        provider=CallProvider.manual,
        lines=(
            _agent("Hi Bob, Marcus from Summit. Just following up on the roof estimate from "
                   "earlier this week."),
            _customer("Hey Marcus. I'll be straight with you: I got a cheaper quote. Another "
                      "company came in at eleven nine, and yours was fourteen two."),
            _agent("I appreciate you telling me. Do you mind if I ask what's in their quote? "
                   "A lot of times the numbers aren't apples to apples."),
            _customer("Same size roof, architectural shingles, full tear-off. I don't know all "
                      "the details."),
            _agent("A couple of things I'd check. Ours includes ice and water shield in the "
                   "valleys and eaves, new drip edge, and a Class 4 impact-resistant shingle, "
                   "which can lower your homeowner's premium here in hail country."),
            _customer("I think they said theirs was impact resistant too."),
            _agent("It might be. The other thing is the warranty: we put a ten-year "
                   "workmanship warranty in writing. Ask what theirs is, and whether they're "
                   "pulling the permit with the city."),
            _customer("I hear you, but three grand is three grand. My wife and I already "
                      "decided to go with them."),
            _agent("Understood, Bob. If anything changes, or you want a second set of eyes on "
                   "their contract, call me. No charge."),
            _customer("Appreciate that. Thanks for your time."),
        ),
        analysis=AnalysisSpec(
            summary="Bob Castillo chose a competitor's $11,900 bid over Summit's $14,200. "
                    "Marcus contrasted underlayment, drip edge, Class 4 shingles and the "
                    "10-year workmanship warranty, but the decision was already made.",
            sentiment="negative",
            intent="quote_follow_up",
            objections=("Got a cheaper quote ($11,900 vs $14,200)",
                        "Already decided with his wife"),
            booking_outcome="unbooked",
            next_steps=("Mark the lead lost: price",
                        "Lead with value before price on replacement estimates"),
        ),
    ),
    CallSpec(
        "morales-missed", "morales", CSR, _in, CallOutcome.missed, ago(hours=3, minutes=1),
        provider=CallProvider.callrail, duration=0,
    ),
    CallSpec(
        "morales-callback", "morales", CSR, _out, CallOutcome.unbooked,
        ago(hours=2, minutes=40),
        lines=(
            _agent("Hi Stephanie, this is Maria from Summit Roofing and Solar, following up "
                   "on your text about the shingles."),
            _customer("Oh, hi. Thanks for calling back so fast. After that wind the other day "
                      "I've got a bunch of shingles in the yard."),
            _agent("I'm sorry. Is any water getting in? Any stains on the ceilings?"),
            _customer("Not that I've seen. Honestly, I just want a ballpark. What does it cost "
                      "to fix a few shingles?"),
            _agent("I get it. Small repairs usually run three to six hundred dollars, but I "
                   "don't want to guess: wind can lift shingles you can't see from the "
                   "ground, and the inspection is free. It takes about thirty minutes."),
            _customer("I work until five most days. I'd have to check my schedule."),
            _agent("We have late-afternoon slots. I see a 4:30 opening later this week. Want "
                   "me to hold it for you?"),
            _customer("Let me look at my work calendar first and I'll text you back."),
            _agent("Sounds good, just reply to the same number. If it rains before then, put "
                   "a bucket under anything that drips and call us. We can tarp it the same day."),
            _customer("Will do. Thank you, Maria."),
        ),
        analysis=AnalysisSpec(
            summary="Missed-call recovery: Stephanie Morales lost shingles in a windstorm, no "
                    "active leak. She wanted a phone price; Maria gave a $300-600 repair range "
                    "and offered a free inspection at 4:30. Stephanie will text back after "
                    "checking her work schedule.",
            sentiment="positive",
            intent="wind_damage_repair",
            objections=("Wants a price over the phone", "Works until 5 on weekdays"),
            booking_outcome="unbooked",
            next_steps=("Hold a 4:30 PM inspection slot", "Follow up by text tomorrow"),
        ),
    ),
    CallSpec(
        "becker-adjuster", "becker", CSR, _in, CallOutcome.booked, day(-2, "13:45"),
        provider=CallProvider.callrail,
        lines=(
            _agent("Summit Roofing and Solar, this is Maria."),
            _customer("Hi, Tom Becker. One of your guys, Marcus, looked at my roof after the "
                      "hail, and the USAA adjuster finally called me back."),
            _agent("Hi Tom, I have your file up. Marcus found hits on the north and west "
                   "slopes, right?"),
            _customer("That's right. The adjuster can come out in two days at 4:30. Does "
                      "somebody from your team need to be there?"),
            _agent("We strongly recommend it. Adjusters are on a clock, and it helps to have "
                   "someone on the roof pointing out every damaged area, including the ridge "
                   "cap and the vents."),
            _customer("Does that cost extra?"),
            _agent("No, meeting the adjuster is part of what we do. Marcus will bring the "
                   "photos and measurements from his inspection."),
            _customer("Great. And if they only approve part of it?"),
            _agent("Then we file a supplement with the documentation. That's common, and "
                   "Marcus handles that paperwork with you."),
            _customer("Okay, book it."),
            _agent("Done. Marcus will meet you and the adjuster at 7702 South Garfield Way at "
                   "4:30. You'll get a text reminder that morning."),
        ),
        analysis=AnalysisSpec(
            summary="Tom Becker's USAA adjuster is scheduled; Maria booked Marcus to meet the "
                    "adjuster on site at no charge and explained supplements for partial "
                    "approvals.",
            sentiment="positive",
            intent="insurance_adjuster_meeting",
            objections=("Worried the insurer will approve only part of the roof",),
            booking_outcome="booked",
            next_steps=("Marcus brings inspection photos and measurements",
                        "Prepare a ridge-cap supplement in case of a partial approval"),
        ),
    ),
    CallSpec(
        "walsh-roof-first", "walsh", REP, _out, CallOutcome.booked, day(-2, "17:10"),
        lines=(
            _agent("Hi Jennifer, Tyler from Summit. We met at the home show. Is now still a "
                   "good time?"),
            _customer("Yes, hi! We're really interested in solar, but our roof is about "
                      "seventeen years old. Is that a problem?"),
            _agent("That's exactly the right question. Panels last twenty-five years or more, "
                   "and taking them off later to reroof costs three to four thousand dollars."),
            _customer("Oh wow. So should we replace the roof first?"),
            _agent("Maybe. Some seventeen-year-old roofs have plenty of life left, so I'd want "
                   "to get up there and check. If it does need replacing, we do both in one "
                   "project: one permit, one crew schedule."),
            _customer("That sounds easier. Can we put it all on one loan?"),
            _agent("Yes, we can finance both together with one monthly payment."),
            _customer("Okay. When can you come out?"),
            _agent("I can do eleven o'clock the day after tomorrow: consultation and roof "
                   "check, about ninety minutes."),
            _customer("Works. Our gate code is 4471."),
            _agent("Got it. I'll confirm on WhatsApp, since that's what you prefer."),
        ),
        analysis=AnalysisSpec(
            summary="Home-show lead Jennifer Walsh wants solar but has a 17-year-old roof. "
                    "Tyler explained detach-and-reset costs and offered a combined reroof and "
                    "solar project on one loan. Consultation booked.",
            sentiment="positive",
            intent="solar_consultation",
            objections=("Roof may be too old for panels",),
            booking_outcome="booked",
            next_steps=("Assess the roof during the consultation",
                        "Price reroof and solar as one project"),
        ),
    ),
    CallSpec(
        "patel-heat-pump", "patel", CSR2, _in, CallOutcome.booked, day(-3, "15:31"),
        lines=(
            _agent("Thanks for calling Summit, this is Jordan."),
            _customer("Hi, I'm calling about a heat pump. Our furnace is twenty years old and I "
                      "read that Xcel has rebates right now."),
            _agent("They do. Xcel Energy has rebates for cold-climate heat pumps, and some "
                   "cities add their own. Our comfort advisor goes through which ones you "
                   "qualify for."),
            _customer("How much are we talking? I don't want someone to come out and then it's "
                      "thirty thousand dollars."),
            _agent("Fair question. Most ducted cold-climate systems we install land between "
                   "twelve and eighteen thousand before rebates, depending on the house and "
                   "the ductwork."),
            _customer("Okay, that's less scary than I thought."),
            _agent("The visit is free. Marcus does a room-by-room load calculation so the "
                   "system isn't oversized. I have nine in the morning later this week."),
            _customer("That works. Please have him use the side gate, the dog's out back."),
            _agent("Noted. You'll get a confirmation text, and we'll send the rebate checklist "
                   "before the visit."),
        ),
        analysis=AnalysisSpec(
            summary="Priya Patel wants to replace a 20-year-old furnace with a heat pump and "
                    "asked about Xcel rebates and price. Jordan quoted a $12-18k range before "
                    "rebates and booked a sizing visit with Marcus.",
            sentiment="positive",
            intent="heat_pump_quote",
            objections=("Worried about total cost",),
            booking_outcome="booked",
            next_steps=("Text the Xcel rebate checklist", "Use the side gate (dog)"),
        ),
    ),
    CallSpec(
        "wright-repair", "wright", REP3, _out, CallOutcome.unbooked, day(-3, "10:05"),
        provider=CallProvider.manual,
        lines=(
            _agent("Hi Kevin, it's Marcus from Summit. I stopped by for our furnace consult "
                   "yesterday evening but must have missed you."),
            _customer("Oh man, sorry about that. Something came up at work. I should have called."),
            _agent("No worries. Do you want to find another time?"),
            _customer("Honestly, I had a repair guy out over the weekend. He replaced the "
                      "igniter and it's running fine now. He said it's got a few more years."),
            _agent("Glad you've got heat. How old is the furnace?"),
            _customer("Eighteen years, I think."),
            _agent("That's toward the end of a typical life, so have the heat exchanger "
                   "checked every fall, and keep a carbon monoxide detector near it."),
            _customer("Yeah, we have one. I'll probably just ride it out this winter."),
            _agent("Totally reasonable. I'll note your file. If you want a replacement quote "
                   "before next season, call me directly."),
            _customer("Sounds good, thanks Marcus."),
        ),
        analysis=AnalysisSpec(
            summary="After a no-show, Kevin Wright said a repair (new igniter) fixed his "
                    "18-year-old furnace and he'll wait. Marcus gave safety advice and left "
                    "the door open for next season.",
            sentiment="neutral",
            intent="rebook_no_show",
            objections=("Repaired the existing furnace instead",),
            booking_outcome="unbooked",
            next_steps=("Close the lead as lost", "Check back before next heating season"),
        ),
    ),
    CallSpec(
        "parker-leak", "parker", CSR, _in, CallOutcome.booked, day(-12, "07:48"),
        lines=(
            _agent("Summit Roofing and Solar, this is Maria."),
            _customer("Hi, I have water dripping through my kitchen ceiling. It started during "
                      "the storm last night."),
            _agent("Oh no. Okay, first: is the water near any light fixtures?"),
            _customer("No, it's by the window over the sink."),
            _agent("Good. Put a bucket under it, and if the drywall is bulging, poke a small "
                   "hole in the middle so it drains instead of spreading."),
            _customer("Okay. How fast can someone come out?"),
            _agent("We can get someone out this morning to tarp it and find the source. The "
                   "emergency tarp is a flat two ninety-five, credited to the repair if you "
                   "go ahead with us."),
            _customer("Yes, please. 1540 Kipling Street in Lakewood."),
            _agent("Tyler will be there between ten and eleven. He'll text when he's on the way."),
            _customer("Thank you so much."),
        ),
        analysis=AnalysisSpec(
            summary="Active leak over Linda Parker's kitchen window after a storm. Maria gave "
                    "safety steps and booked a same-day emergency tarp ($295, credited to the "
                    "repair).",
            sentiment="positive",
            intent="emergency_leak",
            objections=(),
            booking_outcome="booked",
            next_steps=("Tarp today between 10 and 11", "Schedule the permanent repair"),
        ),
    ),
    CallSpec(
        "ostrowski-financing", "ostrowski", REP, _out, CallOutcome.unbooked, day(-6, "12:15"),
        lines=(
            _agent("Hi Greg, it's Tyler with Summit. I got the result back from the solar lender."),
            _customer("Uh oh. That tone doesn't sound good."),
            _agent("Unfortunately the loan wasn't approved this time. It came back on "
                   "debt-to-income, not your credit score."),
            _customer("Well, that's frustrating. So that's it?"),
            _agent("Not necessarily. A co-signer can change the picture, or there's a lease: no "
                   "loan at all, and a fixed monthly payment below your current electric bill."),
            _customer("I don't love the idea of a lease. I've heard they make it hard to sell "
                      "the house."),
            _agent("That's a fair concern. They're transferable, but it does add a step when "
                   "you sell. I won't push you into it."),
            _customer("Let me think about it. Maybe in six months, once the car's paid off."),
            _agent("That makes sense. I'll check back in the spring; the proposal numbers will "
                   "still be a good starting point."),
            _customer("Okay. Thanks for being upfront, Tyler."),
        ),
        analysis=AnalysisSpec(
            summary="Greg Ostrowski's solar loan was declined on debt-to-income. He turned "
                    "down a lease (resale worries) and will revisit in about six months.",
            sentiment="negative",
            intent="financing_follow_up",
            objections=("Financing declined", "Doesn't want a lease"),
            booking_outcome="unbooked",
            next_steps=("Close the lead as lost: financing",
                        "Check back in the spring about a co-signer"),
        ),
    ),
    CallSpec(
        "chen-hoa", "chen", CSR2, _in, CallOutcome.booked, day(-2, "09:05"),
        lines=(
            _agent("Thanks for calling Summit Roofing and Solar, this is Jordan."),
            _customer("Hi, my coworker Dan Whitfield had you put solar on his house last year "
                      "and said good things. I'd like a quote."),
            _agent("That's great to hear, thank you. We'll make sure Dan gets a thank-you. "
                   "What's on your mind?"),
            _customer("My main worry is the HOA. Our neighborhood has pretty strict rules."),
            _agent("Colorado law limits how much an HOA can restrict solar: they can't ban it, "
                   "though they can have reasonable aesthetic rules. We handle the "
                   "architectural request for you."),
            _customer("How long does that take?"),
            _agent("Usually two to four weeks. If we do the site survey now, the drawings are "
                   "ready to submit."),
            _customer("Will the panels be visible from the street? That's what the board will "
                      "care about."),
            _agent("Our surveyor looks at the back slopes first. South and west faces work "
                   "well here."),
            _customer("Okay, let's do the survey."),
            _agent("I have one o'clock later this week with Tyler."),
            _customer("That works."),
        ),
        analysis=AnalysisSpec(
            summary="Referral from Dan Whitfield. Emily Chen wants solar but worries about "
                    "HOA approval and street visibility. Jordan explained Colorado's solar "
                    "access protections and booked a site survey.",
            sentiment="positive",
            intent="solar_quote",
            objections=("HOA approval", "Panels visible from the street"),
            booking_outcome="booked",
            next_steps=("Send the HOA architectural request form",
                        "Prefer rear slopes in the layout", "Thank Dan Whitfield for the referral"),
        ),
    ),
    CallSpec(
        "mendoza-voicemail", "mendoza", CSR, _in, CallOutcome.voicemail, ago(hours=5),
        duration=34,
        analysis=AnalysisSpec(
            summary="Voicemail: Carlos Mendoza saw the zero-down solar ad on Facebook and "
                    "wants information. Lives at 5521 W 64th Ave, Arvada. Asked for a "
                    "callback on this number; mornings are best.",
            sentiment="neutral",
            intent="solar_inquiry",
            objections=(),
            booking_outcome="unbooked",
            next_steps=("Call Carlos back in the morning",
                        "Check the roof's orientation on satellite before calling"),
            model="builtin",
        ),
    ),
    CallSpec(
        "lindqvist-voicemail", "lindqvist", CSR2, _in, CallOutcome.voicemail,
        ago(hours=1, minutes=10), duration=41,
    ),
    # Analysed by Otto as the demo loads: these calls' analyses and tasks are the analyser's.
    CallSpec(
        "whitfield-callback", "whitfield", CSR, _in, CallOutcome.unbooked, day(-1, "12:15"),
        lines=(
            _agent("Thanks for calling Summit Roofing and Solar, this is Maria. How can I help?"),
            _customer("Hi, I filled out the form about gutter guards, but I'm at work and "
                      "can't really talk. I also need to run it by my wife."),
            _agent("No problem at all. When's a good time to call you back?"),
            _customer("Call me back Thursday after 5."),
            _agent("Will do, we'll call you Thursday after 5."),
        ),
        analyse=True,
    ),
    CallSpec(
        "russo-complaint", "russo", CSR2, _in, CallOutcome.unbooked, ago(hours=1, minutes=30),
        lines=(
            _agent("Summit Roofing and Solar, this is Jake. How can I help?"),
            _customer("You put new gutters on our house last week and the one over the "
                      "garage is overflowing again after the rain."),
            _customer("I'm pretty upset, it's pouring right down onto the door."),
            _agent("I'm sorry, that's not how we leave a job. I'll have a manager call you "
                   "back today by 3pm to get a crew out."),
            _customer("Okay. Thank you."),
        ),
        analyse=True,
    ),
    CallSpec(
        "delgado-spanish", "delgado", CSR, _in, CallOutcome.unbooked, day(-2, "16:05"),
        lines=(
            _agent("Gracias por llamar a Summit Roofing and Solar, habla Maria. ¿En qué le "
                   "puedo ayudar?"),
            _customer("Hola, quiero una cotización para una bomba de calor. El técnico ya "
                      "vino a ver la casa."),
            _agent("Con gusto. Podemos ir el jueves a las 10 de la mañana para tomar las "
                   "medidas finales."),
            _customer("El jueves a las 10 está bien. ¿Me pueden enviar la cotización por "
                      "correo también?"),
            _agent("Perfecto, queda agendada su cita para el jueves a las 10. Le mando la "
                   "cotización por correo."),
            _customer("Muchas gracias."),
        ),
        analyse=True,
    ),
)  # fmt: skip


# --- in-home recordings (Shunya) -----------------------------------------------------------

RECORDINGS = (
    RecordingSpec(
        REP, "parker", "parker-repair", day(-11, "09:05"), 95,
        transcript=(
            "Rep: Found it. The step flashing above your kitchen window rusted through, so "
            "water runs behind the siding.\n"
            "Homeowner: So it isn't the shingles?\n"
            "Rep: The shingles are fine for their age. I'll replace the flashing and reseal "
            "that section: $1,850 including the tarp credit.\n"
            "Homeowner: Go ahead. While you're up there, our upstairs gets really hot in "
            "summer, and there's frost in the attic in winter.\n"
            "Rep: That's a ventilation problem. A ridge vent would help; I'll send a quote.\n"
            "Homeowner: Great, thank you."
        ),
        analysis={
            "summary": "Leak traced to failed step flashing; $1,850 repair approved on the "
                       "spot. Customer mentioned attic heat and frost: ventilation upsell.",
            "sentiment": "positive",
            "outcome": "signed",
            "objections": [],
            "talk_ratio": {"rep": 0.48, "customer": 0.52},
            "next_steps": ["Quote a ridge vent", "Ask for a review when the job closes"],
            "score": 88,
            "model": "shunya-sales-v2",
        },
    ),
    RecordingSpec(
        REP2, "miller", "miller-walkthrough", day(-9, "10:35"), 70,
        transcript=(
            "Rep: USAA approved the full replacement. Your part is the $1,000 deductible.\n"
            "Homeowner: That's it? No surprises later?\n"
            "Rep: If we find rotten decking during tear-off, we document it and supplement "
            "the claim. You don't pay extra for that.\n"
            "Homeowner: Okay. I like the Driftwood color.\n"
            "Rep: Good choice, it hides granule loss well. Duration shingles come with a "
            "transferable warranty if you ever sell.\n"
            "Homeowner: Then let's sign."
        ),
        analysis={
            "summary": "Insurance scope reviewed; customer signed for a full replacement in "
                       "Driftwood. Deductible and supplements explained clearly.",
            "sentiment": "positive",
            "outcome": "signed",
            "objections": ["Worried about surprise costs"],
            "talk_ratio": {"rep": 0.55, "customer": 0.45},
            "next_steps": ["Order shingles", "Register the warranty after install"],
            "score": 92,
            "model": "shunya-sales-v2",
        },
    ),
    RecordingSpec(
        REP2, "russo", "russo-gutters", day(-8, "13:35"), 45,
        transcript=(
            "Rep: Your gutters are undersized for this roof, so they overflow at the corners.\n"
            "Homeowner: And the pine needles clog them every fall.\n"
            "Rep: Six-inch seamless with micro-mesh guards solves both: $3,100 installed.\n"
            "Homeowner: Can you match the brown trim?\n"
            "Rep: Musket Brown is a near-perfect match. We can install next week.\n"
            "Homeowner: Let's do it."
        ),
        analysis={
            "summary": "Gutter and guard replacement sold at $3,100; color matched to the "
                       "trim.",
            "sentiment": "positive",
            "outcome": "signed",
            "objections": [],
            "talk_ratio": {"rep": 0.5, "customer": 0.5},
            "next_steps": ["Schedule the gutter crew"],
            "score": 90,
            "model": "shunya-sales-v2",
        },
    ),
    RecordingSpec(
        REP3, "castillo", "castillo-estimate", day(-5, "15:05"), 80,
        transcript=(
            "Rep: For the full tear-off with Class 4 shingles, ice and water shield and new "
            "drip edge, you're at $14,200.\n"
            "Homeowner: That's more than I expected. I've got two other companies coming "
            "out.\n"
            "Rep: That's smart. When you compare, look at the underlayment and the "
            "workmanship warranty, not just the shingle.\n"
            "Homeowner: We'll see. I'll let you know by the end of the week.\n"
            "Rep: Fair enough. Can I leave the shingle samples with you?"
        ),
        analysis={
            "summary": "Replacement estimate presented at $14,200; customer is collecting "
                       "other bids. Price was given before value was established.",
            "sentiment": "neutral",
            "outcome": "not_signed",
            "objections": ["Price higher than expected", "Getting other quotes"],
            "talk_ratio": {"rep": 0.64, "customer": 0.36},
            "next_steps": ["Follow up within 48 hours with a line-item comparison"],
            "score": 71,
            "model": "shunya-sales-v2",
        },
    ),
    RecordingSpec(
        REP3, "lindqvist", None, day(-2, "15:12"), 8,
        transcript=(
            "Rep: Hi, I'm Marcus with Summit Roofing. We're checking roofs on Ford Street "
            "after the storm.\n"
            "Homeowner: Funny you should ask. The skylight over our stairs drips when it rains "
            "hard.\n"
            "Rep: That's usually the flashing, not the skylight itself. Often we can reflash "
            "it without replacing the unit.\n"
            "Homeowner: I'd rather not replace it if I don't have to.\n"
            "Rep: Let's get you on the schedule for a proper inspection."
        ),
        analysis={
            "summary": "Door-knock conversation: skylight leak over the stairs. Homeowner "
                       "prefers repair over replacement; inspection booked.",
            "sentiment": "positive",
            "outcome": "appointment_set",
            "objections": ["Doesn't want to replace the skylight"],
            "talk_ratio": {"rep": 0.52, "customer": 0.48},
            "next_steps": ["Bring skylight flashing options"],
            "score": 84,
            "model": "shunya-sales-v2",
        },
    ),
    RecordingSpec(
        REP, "kowalski", "kowalski-estimate", day(-3, "10:05"), 55,
        transcript=(
            "Rep: So that's the tear-off with the thirty-year architectural shingles, a new "
            "ridge vent and seamless gutters: $11,900.\n"
            "Homeowner: It looks good, but I have to talk it over with my wife before we "
            "sign anything.\n"
            "Rep: Of course. Would it help if I sent the written quote so you can both go "
            "through it together?\n"
            "Homeowner: Yes, send the quote over. And we'd want to hear about financing, "
            "monthly payments would make this a lot easier.\n"
            "Rep: Absolutely. I'll follow up on Friday at 6 pm once you've both had a look.\n"
            "Homeowner: Friday at 6 works. Thanks."
        ),
        analyse=True,  # Shunya's own analysis and tasks
    ),
)  # fmt: skip


# --- text threads --------------------------------------------------------------------------

_customer_says = Sender.customer


def _says(
    sender: Sender,
    body: str,
    after_minutes: float = 0,
    *,
    by: str | None = None,
    status: MessageStatus | None = None,
    error: tuple[str, str] | None = None,
    media: tuple[dict[str, str], ...] = (),
) -> MessageSpec:
    return MessageSpec(sender, body, after_minutes, by, status, error, media)


def _photo(name: str) -> dict[str, str]:
    return {
        "url": f"https://demo-media.switchboard.test/summit/{name}",
        "content_type": "image/jpeg",
    }


THREADS = (
    ThreadSpec("holt", Channel.sms, "Inspection confirmation", day(-1, "17:00"), (
        _says(Sender.system, "Reminder from Summit Roofing & Solar: Tyler will be at 8421 W "
              "Quarles Dr tomorrow at 8:30 AM for your hail inspection. Reply C to confirm "
              "or R to reschedule."),
        _says(_customer_says, "C", 14),
        _says(Sender.otto, "Thanks, Karen, you're confirmed for 8:30 AM tomorrow! Tyler will "
              "text when he's on the way.", 14.1),
        _says(_customer_says, "Should I have my State Farm claim number handy?", 21),
        _says(Sender.csr, "Yes please, and the adjuster's name if you have it. Tyler will "
              "photograph everything for the claim. See you tomorrow!", 26, by=CSR),
    )),
    ThreadSpec("walsh", Channel.whatsapp, "On the way", day(0, "10:20"), (
        _says(Sender.rep, "Good morning Jennifer, Tyler from Summit. I'm on my way, should be "
              "there around 10:50.", by=REP, status=MessageStatus.read),
        _says(_customer_says, "Great, see you soon. Gate code is 4471 if the side gate is "
              "latched.", 3),
        _says(Sender.rep, "Got it, thanks! Here's the panel layout I mocked up from the "
              "satellite view.", 4, by=REP, status=MessageStatus.read,
              media=(_photo("walsh-panel-layout.jpg"),)),
    )),
    ThreadSpec("nguyen", Channel.sms, "Reschedule to an evening", ago(hours=4), (
        _says(_customer_says, "Hi, this is David Nguyen. Talked to my wife, can we move the "
              "solar appointment to an evening? She's home after 5:30."),
        _says(Sender.otto, "Happy to help, David! We have weekday evening visits starting at "
              "6:00 PM. Would tomorrow at 6:00 PM work for you both?", 0.2),
        _says(_customer_says, "Tomorrow at 6 works", 9),
        _says(Sender.csr, "You're all set for tomorrow at 6:00 PM with Nicole. She'll bring "
              "the updated proposal and the 25-year production guarantee. Reply here with any "
              "questions!", 15, by=CSR2),
        _says(_customer_says, "Thank you!", 16),
        _says(Sender.otto, "You're welcome, David! See you both tomorrow at 6.", 16.1),
    )),
    ThreadSpec("morales", Channel.sms, "Missed call: wind damage", ago(hours=3), (
        _says(Sender.system, MISSED_CALL_TEXT),
        _says(_customer_says, "Hi yes, I have shingles missing after the wind the other day. "
              "Can someone come look?", 4),
        _says(Sender.otto, "Sorry to hear that, Stephanie! We do free roof inspections. What's "
              "the address, and are mornings or afternoons better for you?", 4.1),
        _says(_customer_says, "3160 W Hampden Ave in Englewood. Afternoons. How much does it "
              "cost to fix a few shingles?", 7),
        _says(Sender.csr, "Hi Stephanie, Maria here at Summit. I'll give you a quick call in "
              "5 minutes so we can go over pricing and find a time.", 12, by=CSR),
        _says(_customer_says, "Checked my calendar. The 4:30 slot later this week works if "
              "it's still open", 140),
    ), taken_over_by=CSR),
    ThreadSpec("mendoza", Channel.voice, "Voicemail from Carlos Mendoza", ago(hours=5), (
        _says(Sender.system, "Missed call from (720) 555-0131. Voicemail 0:34."),
        _says(Sender.shunya, "Voicemail transcript: Hi, this is Carlos Mendoza. I saw your ad "
              "on Facebook about solar with no money down and wanted to get some info. I'm at "
              "5521 West 64th Avenue in Arvada. You can call me back at this number, mornings "
              "are best. Thanks.", 1),
    ), call="mendoza-voicemail"),
    ThreadSpec("thompson", Channel.sms, "Gutter quote request", ago(minutes=21), (
        _says(_customer_says, "Hi, got your name from Nextdoor. Looking for a quote on "
              "seamless gutters and gutter guards for a 2-story house in Centennial."),
        _says(Sender.otto, "Thanks for reaching out, Michael! We'd be glad to quote seamless "
              "gutters and guards. A team member will text you shortly to set up a free "
              "estimate. What's the address for the visit?", 0.2),
        _says(_customer_says, "6375 S Ouray Way", 3),
    )),
    ThreadSpec("henderson", Channel.sms, "Today's estimate", ago(hours=5), (
        _says(Sender.system, "Reminder from Summit Roofing & Solar: Nicole will be at 2045 "
              "Dahlia St today at 2:00 PM for your roof replacement estimate. Reply C to "
              "confirm or R to reschedule."),
        _says(_customer_says, "C, see you then", 12),
        _says(Sender.otto, "Thanks, Lisa, you're confirmed! Nicole will text when she's on "
              "the way.", 12.2),
        _says(Sender.csr, "Hi Lisa, a quick heads-up from Summit: Nicole's morning visit is "
              "running long, so she may arrive closer to 2:15. Sorry for the wait!", 299,
              by=CSR2, status=MessageStatus.queued),
    )),
    ThreadSpec("becker", Channel.sms, "Adjuster meeting today", ago(hours=2), (
        _says(_customer_says, "Hey, is Marcus still coming at 4:30 for the adjuster meeting? "
              "Do I need to be home?"),
        _says(Sender.otto, "Hi Tom! Yes, Marcus will meet you and the USAA adjuster at 4:30 "
              "PM today. It helps if you're home to let the adjuster in; Marcus handles the "
              "roof walkthrough.", 0.2),
        _says(Sender.rep, "Tom, Marcus here. I'll get there at 4:15 to walk the roof before "
              "the adjuster arrives. Printing the hail photos now.", 119, by=REP3,
              status=MessageStatus.sending),
    )),
    ThreadSpec("castillo", Channel.sms, "Went with another roofer", day(-4, "18:20"), (
        _says(Sender.manager, "Hi Bob, it's Dana Whitaker, operations manager at Summit. "
              "Marcus told me you went with another contractor. No hard feelings, and thanks "
              "for considering us. If anything comes up with the new roof, our offer of a "
              "free second opinion stands.", by=MANAGER),
        _says(_customer_says, "Appreciate that, Dana. Marcus was great, it just came down to "
              "price.", 33),
        _says(Sender.manager, "Understood. Best of luck with the project!", 40, by=MANAGER),
    )),
    ThreadSpec("ostrowski", Channel.sms, "Lease option", day(-3, "10:30"), (
        _says(Sender.rep, "Hi Greg, Tyler from Summit. As promised, here's the lease option: "
              "$0 down, $118/mo fixed, transferable if you sell. No pressure, just so you "
              "have it. https://summit-demo.switchboard.test/p/ostrowski", by=REP,
              status=MessageStatus.failed,
              error=("30007", "Message filtered: the carrier flagged it as spam")),
        _says(Sender.rep, "Hi Greg, it's Tyler from Summit. Give me a call when you have a "
              "minute.", 1440, by=REP, status=MessageStatus.sent),
    )),
    ThreadSpec("wright", Channel.sms, "Furnace follow-up", day(-1, "09:15"), (
        _says(Sender.csr, "Hi Kevin, Jordan at Summit. Checking in to see if you'd like to "
              "rebook your furnace consult with Marcus.", by=CSR2,
              status=MessageStatus.undelivered,
              error=("30003", "Unreachable destination handset")),
    )),
    ThreadSpec("kowalski", Channel.whatsapp, "Gutter options", day(-1, "13:10"), (
        _says(Sender.csr, "Hi Brian, Maria from Summit Roofing & Solar. Here are the 6-inch "
              "seamless gutters we recommended for your house, in Musket Brown and in White.",
              by=CSR, status=MessageStatus.read,
              media=(_photo("gutters-musket-brown.jpg"), _photo("gutters-white.jpg"))),
        _says(_customer_says, "Looks good. What's the price difference between K-style and "
              "half-round?", 47),
        _says(Sender.otto, "Great question, Brian! Half-round usually costs a bit more than "
              "K-style. I've asked Maria to send you exact pricing for your home.", 47.2,
              status=MessageStatus.read),
    )),
    ThreadSpec("parker", Channel.sms, "How did we do?", day(-10, "16:00"), (
        _says(Sender.system, "Thanks for choosing Summit Roofing & Solar, Linda! How did we "
              "do? A quick review helps our small team: "
              "https://summit-demo.switchboard.test/review", status=MessageStatus.sent),
        _says(_customer_says, "Tyler was great, the leak is fixed and he even cleaned out the "
              "gutters. Left you 5 stars!", 50),
        _says(Sender.rep, "Thank you so much, Linda! Call me anytime if you notice anything "
              "else.", 62, by=REP),
    )),
    ThreadSpec("patel", Channel.sms, "Visit confirmation", ago(hours=1, minutes=30), (
        _says(Sender.system, "Reminder from Summit Roofing & Solar: Marcus will be at 9870 "
              "Clairton Way tomorrow at 9:00 AM for your heat pump sizing visit. Reply C to "
              "confirm or R to reschedule.", status=MessageStatus.sent),
        _says(_customer_says, "Confirmed. Please use the side gate, the dog is in the back "
              "yard.", 6),
        _says(Sender.otto, "Thanks, Priya, you're confirmed! I've let Marcus know to use the "
              "side gate.", 6.2),
    )),
    ThreadSpec("lindqvist", Channel.voice, "Voicemail from Heather Lindqvist",
               ago(hours=1, minutes=10), (
        _says(Sender.system, "Missed call from (303) 555-0161. Voicemail 0:41."),
        _says(Sender.shunya, "Voicemail transcript: Hi, it's Heather Lindqvist in Golden. "
              "Marcus stopped by a couple of days ago about my roof. The skylight over the "
              "stairs started dripping again with the rain this morning. Is there any way "
              "someone could come before our appointment? Thanks.", 1),
    ), call="lindqvist-voicemail"),
)  # fmt: skip
