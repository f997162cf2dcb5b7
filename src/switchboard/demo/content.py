"""The demo companies, assembled from their tables."""

from __future__ import annotations

from switchboard.demo import summit
from switchboard.demo.lakeside import LAKESIDE
from switchboard.demo.specs import TenantContent
from switchboard.demo.summit_conversations import CALLS, RECORDINGS, THREADS

SUMMIT = TenantContent(
    tenant=summit.TENANT,
    staff=summit.STAFF,
    contacts=summit.CONTACTS,
    leads=summit.LEADS,
    appointments=summit.APPOINTMENTS,
    shifts=summit.SHIFTS,
    calls=CALLS,
    # 31 calls for the CSRs, 15 for rep@ and 23 for the other two reps: 69 in all.
    call_quotas={summit.CSR: 17, summit.CSR2: 14, summit.REP: 15, summit.REP2: 12, summit.REP3: 11},
    recordings=RECORDINGS,
    tasks=summit.TASKS,
    threads=THREADS,
)

# The first is the demo tenant: its slug tells whether the demo data is loaded.
DEMO_COMPANIES = (SUMMIT, LAKESIDE)

__all__ = ["DEMO_COMPANIES", "LAKESIDE", "SUMMIT"]
