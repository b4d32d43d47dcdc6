-- A producer reads its own tasks only: the login role that submitted a task (session_user, which
-- the SECURITY DEFINER submit does not change) is stored in submitted_by, and row level security
-- shows a producer the rows it submitted. Workers and administrators read every task; the owner,
-- and so the API functions and the views, are not subject to it. Checked as login roles, with
-- SET SESSION AUTHORIZATION (which sets session_user), inside this transaction.
BEGIN;
SELECT plan(15);

DELETE FROM tasklib.tasks;
CREATE ROLE tasklib_test_billing LOGIN;
CREATE ROLE tasklib_test_payroll LOGIN;
CREATE ROLE tasklib_test_runner LOGIN;
GRANT tasklib_producer TO tasklib_test_billing, tasklib_test_payroll;
GRANT tasklib_worker TO tasklib_test_runner;

SET SESSION AUTHORIZATION tasklib_test_billing;
SELECT tasklib.submit('rls.charge', '{"card": "4111 1111 1111 1111"}');
SELECT count(*) FROM tasklib.submit_many('[{"name": "rls.charge", "args": {"card": "5500 0000 0000 0004"}}]');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION tasklib_test_payroll;
SELECT tasklib.submit('rls.salary', '{"ssn": "078-05-1120"}');
RESET SESSION AUTHORIZATION;

SELECT results_eq($$SELECT name, submitted_by FROM tasklib.tasks ORDER BY name, id$$,
    $$VALUES ('rls.charge'::text, 'tasklib_test_billing'::text), ('rls.charge', 'tasklib_test_billing'),
             ('rls.salary', 'tasklib_test_payroll')$$,
    'submit and submit_many record the login that submitted, not the functions'' owner');

CREATE TEMP TABLE payroll_task AS SELECT id FROM tasklib.tasks WHERE name = 'rls.salary';
GRANT SELECT ON payroll_task TO PUBLIC;

SET SESSION AUTHORIZATION tasklib_test_payroll;
SELECT is((SELECT count(*)::int FROM tasklib.tasks), 1, 'payroll sees one task: its own');
SELECT is_empty($$SELECT 1 FROM tasklib.tasks WHERE name = 'rls.charge'$$, 'no row of billing is visible to payroll');
SELECT is_empty($$SELECT 1 FROM tasklib.tasks WHERE args ? 'card'$$, 'not even through a filter on its arguments');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE submitted_by <> session_user), 0,
    'nor any other producer''s');
SET LOCAL ROLE tasklib_producer;
SELECT is((SELECT count(*)::int FROM tasklib.tasks), 1, 'SET ROLE changes nothing: the login decides');
RESET ROLE;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION tasklib_test_billing;
SELECT is((SELECT count(*)::int FROM tasklib.tasks), 2, 'billing sees its two tasks');
SELECT is_empty($$SELECT 1 FROM tasklib.tasks WHERE name = 'rls.salary' OR args ? 'ssn'$$,
    'and no row of payroll');
SELECT is_empty($$SELECT 1 FROM tasklib.tasks WHERE id = (SELECT id FROM payroll_task)$$,
    'nor payroll''s task asked for by its id');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE submitted_by = 'tasklib_test_payroll'), 1,
    '(the superuser sees payroll''s task)');

SET SESSION AUTHORIZATION tasklib_test_runner;
SELECT is((SELECT count(*)::int FROM tasklib.tasks), 3, 'a worker reads every task (it runs them all)');
SELECT is((SELECT count(*)::int FROM tasklib.claim('runner', 10, lease_token => '00000000-0000-4000-8000-0000000000f1')), 3,
    'and claims every producer''s tasks');
SELECT is((SELECT count(*)::int FROM tasklib.complete('runner', ARRAY(SELECT id FROM tasklib.tasks ORDER BY id),
                                                      array_fill('00000000-0000-4000-8000-0000000000f1'::uuid, ARRAY[3]))), 3,
    'and completes them');
RESET SESSION AUTHORIZATION;

SELECT ok((SELECT relrowsecurity AND NOT relforcerowsecurity FROM pg_class WHERE oid = 'tasklib.tasks'::regclass),
    'row level security is on for tasks, not forced on its owner');
SELECT policies_are('tasklib', 'tasks', ARRAY['tasks_producer_reads_own', 'tasks_worker_reads_all', 'tasks_admin_reads_all'],
    'the three read policies, and no policy that allows a write');

SELECT * FROM finish();
ROLLBACK;
