// Submitting TaskLib tasks from Node.js with the `pg` client.
//
//   cd examples/node && npm ci && TASKLIB_DATABASE_URL=postgresql://... node submit.js
//
// The SQL API is the contract: tasklib.submit for one task, tasklib.submit_many for a batch.
// Run `tasklib register examples.tasks` once (deploy time) so the tasks' options and argument
// schemas are known to SQL before any worker starts.
// Errors carry SQLSTATEs of class TL (TL005: arguments break the task's registered schema).
"use strict";

const { Client } = require("pg");

async function main() {
  const client = new Client({ connectionString: process.env.TASKLIB_DATABASE_URL });
  await client.connect();
  try {
    // One task. pg sends a JS object as JSON text; the cast makes it jsonb.
    const one = await client.query(
      "SELECT tasklib.submit(name => $1, args => $2::jsonb, priority => $3, tags => $4::jsonb) AS id",
      [
        "examples.send_email",
        { to: "node@example.com", subject: "Hello from Node", body: "..." },
        10,
        { source: "node-example" },
      ],
    );
    console.log(`submitted ${one.rows[0].id}`);

    // A batch in one round trip; ids come back in input order.
    const batch = [
      { name: "examples.resize_image", args: { path: "/img/n1.png", width: 800 }, tags: { source: "node-example" } },
      { name: "examples.resize_image", args: { path: "/img/n2.png", width: 400, height: 300 }, tags: { source: "node-example" } },
    ];
    const many = await client.query("SELECT id FROM tasklib.submit_many($1::jsonb) AS id", [JSON.stringify(batch)]);
    for (const row of many.rows) console.log(`submitted ${row.id}`);

    // A mistake is refused at submit time with a message that names the key.
    try {
      await client.query("SELECT tasklib.submit($1, $2::jsonb)", ["examples.send_email", { to: 42 }]);
    } catch (error) {
      if (error.code !== "TL005") throw error;
      console.log(`refused (${error.code}): ${error.message}`);
    }
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
