-- Revert tasklib:submission_checks
BEGIN;

DROP FUNCTION tasklib._check_submission;

COMMIT;
