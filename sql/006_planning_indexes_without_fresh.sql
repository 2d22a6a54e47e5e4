-- merzim schema, version 6: the two indexes of occurrences planned on their own leave out the fresh ones.
-- An occurrence that went through no stage follows its date's plan (date_plan) and is found through
-- it: its planned_rev is 0 and its next_stage_at NULL, and nothing looks for it by either. Yet every
-- such occurrence (most of a database: every future year of every plan) had an entry in both indexes,
-- which an import of a large plan built for nothing. The queries that use them say the same condition.

DROP INDEX occurrence_planned;
CREATE INDEX occurrence_planned ON occurrence(planned_rev) WHERE status = 'pending' AND planned_rev <> 0;
DROP INDEX occurrence_next;
CREATE INDEX occurrence_next ON occurrence(next_stage_at) WHERE status = 'pending' AND next_stage_at IS NOT NULL;
