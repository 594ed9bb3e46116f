// Turns wrk --latency outputs into one JSON line.
// Usage: node report.mjs <results-dir> <server-pid> <sessions-listed>
// <results-dir> holds <name>.wrk files (sign_in, get_session, list_sessions, token).
import { readFileSync } from "node:fs";

const [dir, pid, sessionsListed] = process.argv.slice(2);
const UNIT_MS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`cannot parse latency "${text}"`);
  return +(Number(m[1]) * UNIT_MS[m[2]]).toFixed(3);
}

function parseWrk(name) {
  const out = readFileSync(`${dir}/${name}.wrk`, "utf8");
  const grab = (re, what) => {
    const m = re.exec(out);
    if (!m) throw new Error(`${name}: no "${what}" in wrk output:\n${out}`);
    return m[1];
  };
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    per_sec: Number(grab(/Requests\/sec:\s+([\d.]+)/, "Requests/sec")),
    p50_ms: toMs(grab(/^\s+50%\s+(\S+)/m, "50%")),
    p99_ms: toMs(grab(/^\s+99%\s+(\S+)/m, "99%")),
    non_2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    requests: Number(grab(/(\d+) requests in/, "requests in")),
    socket_errors: errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
const pkg = JSON.parse(readFileSync(new URL("./node_modules/better-auth/package.json", import.meta.url)));

const result = {
  better_auth_version: pkg.version,
  node: process.version,
  sign_in: parseWrk("sign_in"),
  get_session: parseWrk("get_session"),
  list_sessions: { ...parseWrk("list_sessions"), sessions_listed: Number(sessionsListed) },
  token: parseWrk("token"),
  rss_mb: +(rssKb / 1024).toFixed(1),
};
console.log(JSON.stringify(result));

const failed = Object.entries(result).filter(([, v]) => v?.non_2xx > 0).map(([k]) => k);
if (failed.length) {
  console.error(`[bench] ERROR: non-2xx responses in: ${failed.join(", ")}`);
  process.exitCode = 1;
}
