-- Verify tasklib:submission_checks
BEGIN;

SELECT 'tasklib._check_submission'::regproc, 'tasklib._submission_ok'::regproc, 'tasklib._submit_validation'::regproc, 'tasklib._args_problem'::regproc,
       'tasklib._compile_args_schema'::regproc, 'tasklib._schema_types'::regproc, 'tasklib._option_problem'::regproc,
       'tasklib._json_problem'::regproc, 'tasklib._json_small'::regproc, 'tasklib._json_key_count'::regproc, 'tasklib._schema_problem'::regproc;
SELECT args_check FROM tasklib.task_types WHERE false;
SELECT 1 / (jsonb_path_match('{"to": "a"}',
    tasklib._compile_args_schema('{"properties": {"to": {"type": "string"}}, "required": ["to"]}')))::int;
SELECT 1 / (tasklib._option_problem(NULL, NULL, NULL, NULL) IS NULL
            AND tasklib._option_problem(-1, NULL, NULL, NULL) LIKE 'max_retries %'
            AND tasklib._option_problem(lease_seconds => 86401) LIKE 'lease_seconds %'
            AND tasklib._json_key_count('{"a": {"b\\": 1, "c\": ": 2}}') = 3)::int;

ROLLBACK;
