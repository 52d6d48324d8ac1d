// The peer of the webhook ingest benchmark: GitHub's own Node receiver,
// @octokit/webhooks createNodeMiddleware, verifying the same signatures.
//   node octokit_peer.mjs PORT SECRET      (prints "listening PORT" when ready)
import { createServer } from "node:http";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";

const [port, secret] = process.argv.slice(2);
const webhooks = new Webhooks({ secret });
let seen = 0;
webhooks.on("workflow_job", () => {
  seen++;
});
const middleware = createNodeMiddleware(webhooks, { path: "/webhook" });
const server = createServer(middleware);
server.keepAliveTimeout = 75000;
server.listen(Number(port), "127.0.0.1", () => console.log(`listening ${server.address().port}`));
process.on("SIGTERM", () => {
  console.log(`handled ${seen}`);
  server.close(() => process.exit(0));
});
