"""Domain event names (outbox topics): what later stages subscribe to. Every name here has a handler in jobs.py or
is declared there as having none (tests/unit/test_topics.py checks both, and that src publishes only these)."""

LEAD_CAPTURED = "lead.captured"  # {lead_id, capture_id, channel, campaign_id}: a capture created a new lead
LEAD_RECAPTURED = "lead.recaptured"  # the same payload: a capture folded into an existing lead (a returning person)
LEAD_UPDATED = "lead.updated"  # {lead_id, fields}: a person edited the lead's fields
LEADS_MERGED = "leads.merged"  # {survivor_id, merged_id}: two leads became one (a person or dedupe); unmerge undoes
LEADS_UNMERGED = "leads.unmerged"  # {survivor_id, merged_id}: a merge undone; each lead has its own history again
IMPORT_RUN = "import.run"
CAPTURE_RETRY = "capture.retry"  # periodic: process again the captures a failure left pending
EMAIL_SEND = "email.send"  # one email to send through SMTP (leadflow.mail)
# {user_id, kind, title, body, link}: one notification posted to the person's chat webhook (people; the URL is read
# when sent, never stored in the message)
NOTIFICATION_CHAT = "notification.chat"
PREDICT_TICK = "predict.tick"  # periodic: retrain the predictive model when due, score new open leads
LEAD_STAGE_CHANGED = "lead.stage_changed"  # {lead_id, from, to, reason, actor}: every move of the stage machine
LEAD_SALES_READY = "lead.sales_ready"  # once per lead (key lead.sales_ready:{id}): routing subscribes to it
# {lead_id, assignment_id, owner_id, owner_email, queue, previous_owner_id, rule, by}: routing (or a person)
# gave the lead an owner or put it in a queue
LEAD_ASSIGNED = "lead.assigned"
SCORING_RESCORE = "scoring.rescore"  # a rescore run of every lead under a newly activated rule set
SCORING_RESCORED = "scoring.rescored"  # {run_id, rule_set_id}: a rescore run finished; every lead has a new score
SCORING_REFRESH = "scoring.refresh"  # the nightly decay refresh of the stored scores
# {after, reason}: the Sales Ready rule applied again to the next chunk of open leads (after a new rule version or a
# rescore); each chunk queues the next, so a run resumes where it stopped.
SALES_READY_CHECK = "sales_ready.check"
# {delivery_id, seq}: one attempt of a webhook or CRM delivery (handoff); key webhook:{delivery_id}:{seq}. A retry or
# a replay is the next seq, with the SAME delivery id.
WEBHOOK_DELIVER = "webhook.deliver"

# Follow-up and sales feedback (followup): the periodic pass over due follow-up timers (reminders, escalations,
# reassignments), a follow-up missed, a contact logged, tasks, a lead handed back to marketing and its return.
FOLLOWUP_TICK = "followup.tick"
FOLLOWUP_OVERDUE = "followup.overdue"  # {lead_id, followup_id, owner_id, due_at}: not followed up by its due time
CONTACT_LOGGED = "contact.logged"  # {lead_id, contact_id, user_id, kind, outcome, occurred_at}
TASK_CREATED = "task.created"  # {lead_id, task_id, owner_id, kind, due_at, origin}
TASK_COMPLETED = "task.completed"  # {lead_id, task_id, owner_id, kind, status: done | canceled}
LEAD_RECYCLED = "lead.recycled"  # {lead_id, recycle_id, reason, revisit_on, owner_id}
LEAD_REVISIT = "lead.revisit"  # {recycle_id}: a recycled lead's revisit date came (available_at): back to the inbox
# Pipeline: opportunities, quotes and competitors as sales reports them.
OPPORTUNITY_CHANGED = "opportunity.changed"  # {opportunity_id, lead_id, company_id, changes, actor}
OPPORTUNITY_WON = "opportunity.won"  # {opportunity_id, lead_id, company_id, value, currency, reason}
OPPORTUNITY_LOST = "opportunity.lost"  # {opportunity_id, lead_id, company_id, value, currency, reason}
QUOTE_CHANGED = "quote.changed"  # {quote_id, lead_id, opportunity_id, status, amount, currency}
COMPETITOR_NOTED = "competitor.noted"  # {lead_id, competitor, opportunity_id}
# {day}: periodic (daily, self-booking): the weighted pipeline remembered per close month, owner and currency
PIPELINE_SNAPSHOT = "pipeline.snapshot"

# Analytics: the pass that refreshes the facts of leads whose data changed (self-booking, every 30 s), a rebuild of
# every lead's facts a chunk at a time ({after}: the last lead id done).
ANALYTICS_TICK = "analytics.tick"
# {campaign_id, fields}: a campaign's code, channel, source, medium or offer changed (campaigns): its leads' figures
# regroup
CAMPAIGN_CHANGED = "campaign.changed"
ANALYTICS_REBUILD = "analytics.rebuild"
ANALYTICS_CHECK = "analytics.check"  # {at}: the daily ROI alerts (self-booking, 07:00 UTC)
ANALYTICS_DIGEST = "analytics.digest"  # {at}: the weekly digest (self-booking, Mondays 06:00 UTC)

# Segments: saved conditions whose members are kept live. {segment_id, lead_id}: a lead came into or left a segment
# as its data changed; {segment_id, after}: a segment's members worked out a chunk at a time after it was saved.
SEGMENT_ENTERED = "segment.entered"
SEGMENT_LEFT = "segment.left"
SEGMENT_BUILD = "segment.build"
# Surveys: {survey_id, lead_id, response_id, answers, message_id}: a lead answered a survey (its answers filled BANT
# and profile fields).
SURVEY_SUBMITTED = "survey.submitted"
# Marketing email (email): {message_id, lead_id, journey_run_id, send_id}: what happened to one message.
EMAIL_DELIVERED = "email.delivered"
EMAIL_BOUNCED = "email.bounced"  # ... plus {kind: hard | soft, reason}
EMAIL_OPENED = "email.opened"  # published by tracking when a signed open pixel of a message is loaded (scored once)
EMAIL_CLICKED = "email.clicked"  # published by tracking for a click on a signed link of a message ({url})
EMAIL_UNSUBSCRIBED = "email.unsubscribed"  # {lead_id, purposes, how: link | one_click | complaint | centre}
EMAIL_PASS = "email.pass"  # the sender's pass over due messages (self-booking; more passes join when many are due)
EMAIL_BOUNCES = "email.bounces"  # the bounce mailbox read (self-booking, when a mailbox is set)
EMAIL_CAMPAIGN_SEND = "email.campaign_send"  # {send_id, after}: a one-off send queued to its audience a chunk at a time
# Journeys: the pass over due journey steps (self-booking; more passes join when many are due), {journey_id, after}:
# leads entered into a journey from a segment or list a chunk at a time.
JOURNEY_TICK = "journey.tick"
JOURNEY_PASS = "journey.pass"
JOURNEY_ENROL = "journey.enrol"

# {at}: the outbox's done rows older than the kept days deleted (self-booking, daily at 02:30 UTC)
OUTBOX_PRUNE = "outbox.prune"
# Periodic topics whose keys name a time slot ("analytics.tick:1765000000"): nothing publishes an old slot again, so
# their done rows may go with the keyless ones. Every other keyed row is kept: its key is what makes a retry of
# the same step (an email, a Sales Ready verdict) publish nothing twice.
SLOTTED = frozenset({FOLLOWUP_TICK, ANALYTICS_TICK, ANALYTICS_CHECK, ANALYTICS_DIGEST, PIPELINE_SNAPSHOT, JOURNEY_TICK,
                     JOURNEY_PASS, EMAIL_PASS, EMAIL_BOUNCES, OUTBOX_PRUNE})

# Telemarketing: {call_list_id, run, after}: the next chunk of a call list filled from its source.
CALL_LIST_BUILD = "call_list.build"
# Names no longer published, still handled for rows written before an upgrade: old name -> the name it became.
RENAMED = {"lead.merged": LEAD_RECAPTURED}
