"""Every query of the dashboards, by subject: `roles` (the CSR, rep and executive
dashboards), `trends` (numbers per local day), `lookups` (the digest's and the assistant's
views that no single domain list answers)."""

from switchboard.dashboards.repository.lookups import DashboardRepository, WaitingReply

__all__ = ["DashboardRepository", "WaitingReply"]
