// Minimal better-auth server for benchmarking.
// Env: DB_PATH (required, a fresh SQLite file), HOST (default 127.0.0.1).
// Listens on a free port chosen by the OS and prints "LISTENING <port>" once ready.
import http from "node:http";
import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";

const host = process.env.HOST || "127.0.0.1";
const dbPath = process.env.DB_PATH;
if (!dbPath) throw new Error("DB_PATH is required");

const server = http.createServer();
await new Promise((resolve) => server.listen(0, host, resolve));
const { port } = server.address();
const baseURL = `http://${host}:${port}`;

const db = new Database(dbPath);
db.pragma("journal_mode = WAL"); // usual production setting for SQLite
db.pragma("synchronous = NORMAL");

const options = {
  baseURL,
  trustedOrigins: [baseURL],
  secret: "bench-fixed-secret-0123456789abcdef0123456789abcdef", // fixed, >= 32 chars
  database: db,
  emailAndPassword: { enabled: true },
  plugins: [jwt()],
  rateLimit: { enabled: false }, // all load comes from one IP
  telemetry: { enabled: false },
};

const { runMigrations } = await getMigrations(options);
await runMigrations();

const auth = betterAuth(options);
server.on("request", toNodeHandler(auth));

const shutdown = () => server.close(() => { db.close(); process.exit(0); });
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

console.log(`LISTENING ${port}`);
