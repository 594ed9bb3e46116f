import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

// Playwright loads this file in every worker; the first load (the runner) picks ports and a
// temporary database directory and hands them to the workers through the environment.
function freePort(): string {
  return execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ]).toString();
}
process.env.LATCHKEY_E2E_PORT ??= freePort();
process.env.LATCHKEY_E2E_SHORT_PORT ??= freePort();
process.env.LATCHKEY_E2E_DATA ??= mkdtempSync(join(tmpdir(), 'latchkey-e2e-'));

const root = resolve(__dirname, '..');
const binary = process.env.LATCHKEY_E2E_BINARY ?? join(root, 'target', 'debug', 'latchkey');
// `./scripts/test` copies a binary with the site compiled in to an empty directory and runs
// every browser test against it there: the binary alone must serve the whole app.
export const oneFile = process.env.LATCHKEY_E2E_ONE_FILE === '1';
const siteFromDisk: Record<string, string> = oneFile
  ? {}
  : { LEPTOS_OUTPUT_NAME: 'latchkey', LEPTOS_SITE_ROOT: 'target/site', LEPTOS_SITE_PKG_DIR: 'pkg' };
export const baseURL = `http://127.0.0.1:${process.env.LATCHKEY_E2E_PORT}`;
export const shortTtlURL = `http://127.0.0.1:${process.env.LATCHKEY_E2E_SHORT_PORT}`;
export const adminEmail = 'admin@latchkey.test';
export const adminPassword = 'seven orange kites drift';

function server(port: string, name: string, extra: Record<string, string>) {
  const origin = `http://127.0.0.1:${port}`;
  return {
    command: binary,
    cwd: oneFile ? dirname(binary) : root,
    url: `${origin}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      ...siteFromDisk,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LATCHKEY_PUBLIC_ORIGIN: origin,
      DATABASE_URL: `sqlite://${process.env.LATCHKEY_E2E_DATA}/${name}.db`,
      // Every test signs in from 127.0.0.1; the rate-limit test uses its own low limit below.
      LATCHKEY_RATE_LOGIN_PER_MIN: '0',
      LATCHKEY_RATE_REFRESH_PER_MIN: '0',
      LATCHKEY_ADMIN_EMAIL: adminEmail,
      LATCHKEY_ADMIN_PASSWORD: adminPassword,
      // Fast hashing keeps the suite quick; production parameters are tested in Rust.
      LATCHKEY_ARGON2_M_KIB: '8192',
      LATCHKEY_ARGON2_T: '1',
      RUST_LOG: 'warn',
      ...extra,
    },
  };
}

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: [
    server(process.env.LATCHKEY_E2E_PORT!, 'main', {}),
    server(process.env.LATCHKEY_E2E_SHORT_PORT!, 'short', { LATCHKEY_ACCESS_TTL: '8' }),
  ],
});
