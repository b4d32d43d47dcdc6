-- Verify tasklib:submission_checks
BEGIN;

SELECT 'tasklib._check_submission'::regproc;

ROLLBACK;
