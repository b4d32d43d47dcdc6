-- tasklib.submit_validation: off skips the argument check, an unknown value is an error.
BEGIN;
SELECT plan(3);

SELECT tasklib.register_task_type('sv.mode', '{"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}');
SET LOCAL tasklib.submit_validation = 'off';
SELECT lives_ok($$SELECT tasklib.submit('sv.mode', '{"x": "not a number"}')$$, 'off: nothing is checked');
SET LOCAL tasklib.submit_validation = 'strcit';
SELECT throws_ok($$SELECT tasklib.submit('sv.mode', '{"x": 1}')$$, 'TL002',
    'tasklib.submit_validation must be off, known or strict, got strcit', 'a misspelt mode is an error, not "off"');
RESET tasklib.submit_validation;
SELECT throws_ok($$SELECT tasklib.submit('sv.mode', '{"x": "1"}')$$, 'TL005', NULL,
    'unset (or reset) means known');

SELECT * FROM finish();
ROLLBACK;
