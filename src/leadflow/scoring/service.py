"""Scoring, as the other stages call it: one name for each job, kept in its own module.

score = round(fit points + behaviour points decayed to now), never below zero; band from the score, grade from the
fit points. Each lead's state lives in `lead_scores`; the lead's score columns follow it in the same transaction.

| job | module |
|---|---|
| the rule set's life: defaults, drafts, activation, versions, text in and out, runs | `rule_sets.py` |
| what fit rules read of a lead | `fields.py` |
| live scoring of new events | `live.py` |
| fit scoring when declared fields or BANT answers change | `fit.py` |
| scores from the whole history: rescore runs, nightly decay, backtests | `history.py` |
| why a lead has its score | `explanations.py` |
| the speed tricks (caches, encoded rows, raw cursors), behind their benchmarks | `bulk.py` |
"""

from leadflow.scoring.bulk import ChunkRows, encode_chunk, replayer, write_rows
from leadflow.scoring.explanations import explanation
from leadflow.scoring.fields import BANT_CRITERIA, current_bant, declared_fields
from leadflow.scoring.fit import rescore_fit
from leadflow.scoring.history import (
    CHUNK,
    WON_STAGES,
    backtest,
    finish_run,
    lead_id_chunks,
    refresh_decay,
    replay,
    rescore_chunk,
    rescore_leads,
    run_step,
    score_chunk,
    stream_events,
    write_chunk,
)
from leadflow.scoring.live import score_events
from leadflow.scoring.outcomes import EXPLANATION_ON_LEAD, Outcome
from leadflow.scoring.rule_sets import (
    activate,
    active_rule_set,
    compile_definition,
    create_draft,
    default_definition,
    export_text,
    get_rule_set,
    get_run,
    latest_run,
    list_rule_sets,
    parse_text,
    schedule_refresh,
    update_draft,
)

__all__ = [
    "BANT_CRITERIA", "CHUNK", "EXPLANATION_ON_LEAD", "WON_STAGES", "ChunkRows", "Outcome", "activate",
    "active_rule_set", "backtest", "compile_definition", "create_draft", "current_bant", "declared_fields",
    "default_definition", "encode_chunk", "explanation", "export_text", "finish_run", "get_rule_set", "get_run",
    "latest_run", "lead_id_chunks", "list_rule_sets", "parse_text", "refresh_decay", "replay", "replayer",
    "rescore_chunk", "rescore_fit", "rescore_leads", "run_step", "schedule_refresh", "score_chunk", "score_events",
    "stream_events", "update_draft", "write_chunk", "write_rows",
]
