-- a rollback goes wave by wave too: when each wave's rollback opened and when it reached the success threshold
ALTER TABLE PM_ROLLOUT_WAVE ADD COLUMN RB_OPENED_AT TIMESTAMP;
ALTER TABLE PM_ROLLOUT_WAVE ADD COLUMN RB_REACHED_AT TIMESTAMP;
