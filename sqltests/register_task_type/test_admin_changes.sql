-- Any worker may create a task type and re-register the definition stored; changing a stored
-- definition needs a login in tasklib_admin: a worker gets TL006 naming what differs, and the
-- definition other deployments rely on stays as it was. (Any worker used to overwrite it.)
BEGIN;
SELECT plan(11);

CREATE ROLE tasklib_test_worker_login LOGIN;
GRANT tasklib_worker TO tasklib_test_worker_login;
CREATE ROLE tasklib_test_deployer LOGIN;
GRANT tasklib_admin TO tasklib_test_deployer;
DELETE FROM tasklib.task_types WHERE name LIKE 'admin.%';

SET SESSION AUTHORIZATION tasklib_test_worker_login;
SELECT is((tasklib.register_task_type('admin.mail', '{"type": "object", "properties": {"to": {"type": "string"}}}',
                                      max_retries => 5, queue => 'mail')).queue,
    'mail', 'a worker creates a task type that did not exist');
RESET SESSION AUTHORIZATION;
UPDATE tasklib.task_types SET updated_at = now() - interval '1 day' WHERE name = 'admin.mail';
SET SESSION AUTHORIZATION tasklib_test_worker_login;
SELECT is((tasklib.register_task_type('admin.mail', '{"type": "object", "properties": {"to": {"type": "string"}}}',
                                      max_retries => 5, queue => 'mail')).updated_at,
    now() - interval '1 day', 'the same definition again changes nothing (every worker does that at start)');
SELECT throws_ok($$SELECT tasklib.register_task_type('admin.mail', '{"type": "object", "additionalProperties": false}',
                                                      max_retries => 0, queue => 'evil')$$,
    'TL006', 'task type admin.mail is registered with other options or schema (args_schema, max_retries, queue); register it as tasklib_admin to change it',
    'another definition: TL006, naming what differs');
SELECT throws_ok($$SELECT tasklib.register_task_type('admin.mail', '{"type": "object", "properties": {"to": {"type": "string"}}}',
                                                      max_retries => 5)$$,
    'TL006', NULL, 'leaving out an option it set is a change too');
SET LOCAL ROLE tasklib_worker;
SELECT throws_ok($$SELECT tasklib.register_task_type('admin.mail', NULL)$$, 'TL006', NULL,
    'SET ROLE does not make a worker an administrator');
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT results_eq($$SELECT queue, max_retries, args_schema FROM tasklib.task_types WHERE name = 'admin.mail'$$,
    $$VALUES ('mail'::text, 5, '{"type": "object", "properties": {"to": {"type": "string"}}}'::jsonb)$$,
    'the stored definition is untouched');

SET SESSION AUTHORIZATION tasklib_test_deployer;
SELECT is((tasklib.register_task_type('admin.mail', '{"type": "object", "additionalProperties": false}',
                                      max_retries => 1, queue => 'mail-v2')).queue,
    'mail-v2', 'a login in tasklib_admin changes it');
RESET SESSION AUTHORIZATION;
SELECT results_eq($$SELECT queue, max_retries, updated_at FROM tasklib.task_types WHERE name = 'admin.mail'$$,
    $$VALUES ('mail-v2'::text, 1, now())$$, 'the new definition is stored');
SELECT is((tasklib.register_task_type('admin.mail', NULL)).args_schema, NULL,
    'a superuser (the usual migrating role) counts as an administrator');

SET SESSION AUTHORIZATION tasklib_test_worker_login;
SELECT is((tasklib.register_task_type('admin.mail', NULL)).name, 'admin.mail',
    'the worker registering the stored definition again is fine');
RESET SESSION AUTHORIZATION;
SELECT ok(has_function_privilege('tasklib_admin', 'tasklib.register_task_type(text, jsonb, integer, double precision, integer, text, double precision, double precision, text, text[], double precision, text, double precision)', 'EXECUTE'),
    'tasklib_admin may call register_task_type');

SELECT * FROM finish();
ROLLBACK;
