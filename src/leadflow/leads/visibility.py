"""Who sees which leads: every list, detail, export and API path for leads starts here.

The rule per role is data (people/roles.py LEAD_VISIBILITY); this turns it into the query. A sales manager also sees
the leads waiting in a routing queue.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, false, or_, select

from leadflow.leads.models import Lead
from leadflow.people import roles
from leadflow.people.models import CallList, CallListLead, Team, User
from leadflow.people.service import Actor


def sees_all(actor: Actor) -> bool:
    return actor.kind == "system" or roles.LEAD_VISIBILITY.get(actor.role) == "all"


def visible_leads(actor: Actor) -> Select:
    """The leads this actor may see; merged-away leads are gone from every list."""
    query = select(Lead).where(Lead.merged_into_id.is_(None))
    if sees_all(actor):
        return query
    if actor.user_id is None:
        return query.where(false())
    own = Lead.owner_id == actor.user_id
    rule = roles.LEAD_VISIBILITY.get(actor.role)
    if rule == "own":
        if actor.team_id is None:
            return query.where(own)
        teammates = select(User.id).join(Team, User.team_id == Team.id).where(
            Team.id == actor.team_id, Team.members_see_each_other.is_(True))
        return query.where(or_(own, Lead.owner_id.in_(teammates)))
    if rule == "team":
        teams = select(Team.id).where(or_(Team.manager_id == actor.user_id, Team.id == actor.team_id))
        members = select(User.id).where(User.team_id.in_(teams))
        # Managers also see the leads waiting in a queue (no rule or nobody could take them) to hand them out.
        queued = and_(Lead.owner_id.is_(None), Lead.queue.is_not(None))
        return query.where(or_(own, Lead.owner_id.in_(members), queued))
    if rule == "call_lists":
        mine = CallList.owner_id == actor.user_id
        if actor.team_id is not None:
            mine = or_(mine, CallList.team_id == actor.team_id)  # the lists their team calls together
        # EXISTS, correlated on the lead: one index probe per lead asked about, not a read of every list's leads.
        listed = (select(CallListLead.lead_id).join(CallList, CallList.id == CallListLead.call_list_id)
                  .where(CallListLead.lead_id == Lead.id, mine).exists())
        return query.where(or_(own, listed))
    return query.where(false())
