-- An unregistered name passes by default (known) and is rejected with TL001 when strict.
BEGIN;
SELECT plan(4);

SET LOCAL tasklib.submit_validation = 'known';
SELECT lives_ok($$SELECT tasklib.submit('sv.unregistered')$$, 'known: an unregistered name passes');
SET LOCAL tasklib.submit_validation = 'strict';
SELECT throws_ok($$SELECT tasklib.submit('sv.unregistered')$$, 'TL001',
    'unknown task sv.unregistered: no task type of that name is registered', 'strict: submit rejects it');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sv.unregistered"}]')$$, 'TL001', NULL,
    'strict: submit_many rejects it');
SELECT tasklib.register_task_type('sv.registered');
SELECT lives_ok($$SELECT tasklib.submit('sv.registered', '{"anything": 1}')$$,
    'strict: a registered name without a schema passes with any arguments');

SELECT * FROM finish();
ROLLBACK;
