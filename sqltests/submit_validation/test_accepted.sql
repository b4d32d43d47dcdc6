-- Arguments that satisfy the registered schema are accepted by submit and submit_many.
BEGIN;
SELECT plan(5);

SELECT tasklib.register_task_type('sv.send_email', $${
  "additionalProperties": false, "type": "object", "title": "send_email_args",
  "properties": {
    "to": {"title": "To", "type": "string"},
    "subject": {"title": "Subject", "type": "string"},
    "attempt": {"title": "Attempt", "type": "integer", "default": 1},
    "cc": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
    "weight": {"type": "number", "default": 1.0}
  },
  "required": ["to", "subject"]}$$);

SELECT lives_ok($$SELECT tasklib.submit('sv.send_email', '{"to": "a@b.c", "subject": "hi"}')$$,
    'required keys only');
SELECT lives_ok($$SELECT tasklib.submit('sv.send_email',
    '{"to": "a@b.c", "subject": "hi", "attempt": 2.0, "cc": null, "weight": 3}')$$,
    'optional keys: an integral number is an integer, null fits Optional, an integer is a number');
SELECT lives_ok($$SELECT tasklib.submit('sv.send_email', '{"to": "a@b.c", "subject": "hi", "cc": "d@e.f"}')$$,
    'the non-null branch of Optional');
SELECT lives_ok($$SELECT tasklib.submit_many('[{"name": "sv.send_email", "args": {"to": "x", "subject": "y"}}]')$$,
    'submit_many checks the same way');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'sv.send_email'), 4, 'all were stored');

SELECT * FROM finish();
ROLLBACK;
