-- Revert tasklib:submission_checks
BEGIN;

DROP FUNCTION tasklib._check_submission;
DROP FUNCTION tasklib._submission_ok;
DROP FUNCTION tasklib._schema_problem;
DROP FUNCTION tasklib._json_problem;
DROP FUNCTION tasklib._json_small;
DROP FUNCTION tasklib._json_key_count;
DROP FUNCTION tasklib._option_problem;
DROP FUNCTION tasklib._submit_validation;
ALTER TABLE tasklib.task_types DROP COLUMN args_check;
DROP FUNCTION tasklib._args_problem;
DROP FUNCTION tasklib._compile_args_schema;
DROP FUNCTION tasklib._schema_types;

COMMIT;
