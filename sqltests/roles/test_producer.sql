-- tasklib_producer submits and reads tasks; it cannot claim, finish, administer or write tables.
BEGIN;
SELECT plan(10);

SELECT tasklib.submit('roles.p.existing');
SET LOCAL ROLE tasklib_producer;
SELECT lives_ok($$SELECT tasklib.submit('roles.p', '{"x": 1}')$$, 'producer can submit');
SELECT lives_ok($$SELECT tasklib.submit_many('[{"name": "roles.p"}]')$$, 'producer can submit_many');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'roles.p'), 2, 'producer can read tasks');
SELECT lives_ok($$SELECT * FROM tasklib.task_types$$, 'producer can read task types');
SELECT throws_ok($$SELECT tasklib.claim('intruder')$$, '42501', NULL, 'producer cannot claim');
SELECT throws_ok($$SELECT tasklib.complete('intruder', ARRAY(SELECT id FROM tasklib.tasks), ARRAY(SELECT gen_random_uuid() FROM tasklib.tasks))$$, '42501', NULL,
    'producer cannot complete');
SELECT throws_ok($$SELECT tasklib.cancel((SELECT id FROM tasklib.tasks LIMIT 1))$$, '42501', NULL,
    'producer cannot cancel (an operator action)');
SELECT throws_ok($$UPDATE tasklib.tasks SET state = 'completed'$$, '42501', NULL, 'producer cannot write tasks directly');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name) VALUES ('sneaky')$$, '42501', NULL,
    'producer cannot insert past submit''s checks');
SELECT throws_ok($$SELECT * FROM tasklib.queue_status$$, '42501', NULL, 'the views belong to tasklib_monitor');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
