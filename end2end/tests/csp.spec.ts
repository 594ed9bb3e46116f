import { test, expect, Page, Response } from '@playwright/test';
import { adminEmail, adminPassword } from '../playwright.config';
import { register, signIn, uniqueEmail, waitForHydration } from './helpers';

type Violation = { directive: string; blocked: string; source: string };

/** Records CSP violations from the first moment of every document the page loads, so a script
 *  or connection blocked during hydration is seen too. */
async function recordViolations(page: Page) {
  await page.addInitScript(() => {
    const seen: Violation[] = [];
    (window as any).__cspViolations = seen;
    document.addEventListener(
      'securitypolicyviolation',
      (e) => seen.push({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile }),
      true,
    );
  });
}

async function violations(page: Page): Promise<Violation[]> {
  return page.evaluate(() => (window as any).__cspViolations);
}

/** The page was served under a nonce policy, and Leptos' inline scripts carry that nonce. */
async function expectNoncePolicy(page: Page, response: Response | null) {
  const csp = response?.headers()['content-security-policy'] ?? '';
  const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=_-]{22,})' 'wasm-unsafe-eval'/.exec(csp)?.[1];
  expect(nonce, `nonce in script-src of: ${csp}`).toBeDefined();
  expect(csp).not.toContain('unsafe-inline');
  // Browsers hide nonce attributes from getAttribute; the property still has the value.
  const inline = await page.evaluate(() =>
    Array.from(document.querySelectorAll('script:not([src])'), (s) => (s as HTMLScriptElement).nonce),
  );
  expect(inline.length).toBeGreaterThan(0);
  for (const n of inline) expect(n).toBe(nonce);
}

async function visit(page: Page, path: string) {
  const response = await page.goto(path);
  expect(response?.status()).toBe(200);
  await expectNoncePolicy(page, response);
}

test.beforeEach(async ({ page }) => {
  page.on('dialog', (dialog) => dialog.accept());
  await recordViolations(page);
});

test('every page hydrates and works under the policy without a violation', async ({ page, browser }) => {
  await visit(page, '/');
  // The server renders "…" while the session is unknown; only the hydrated app, having asked
  // the server over fetch, offers to sign in.
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible({ timeout: 20_000 });
  expect(await violations(page)).toEqual([]);

  for (const path of ['/login', '/register']) {
    await visit(page, path);
    await waitForHydration(page);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('type', 'text');
    expect(await violations(page), path).toEqual([]);
  }

  const email = uniqueEmail('csp');
  await register(page, email);

  await visit(page, '/sessions');
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
  await expect(page.getByTestId('session')).toHaveCount(1);
  // The inline SVG device icon is drawn, at its size.
  const icon = page.getByTestId('session').locator('svg.device-icon');
  await expect(icon).toBeVisible();
  expect((await icon.boundingBox())?.width).toBeGreaterThan(20);
  expect(await violations(page), '/sessions').toEqual([]);

  await visit(page, '/activity');
  await expect(page.getByTestId('events').locator('li').first()).toBeVisible();
  expect(await violations(page), '/activity').toEqual([]);

  await visit(page, '/account');
  await expect(page.getByTestId('account-email')).toHaveText(email);
  expect(await violations(page), '/account').toEqual([]);

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await recordViolations(admin);
  await signIn(admin, adminEmail, adminPassword);
  await visit(admin, '/admin');
  await admin.getByLabel('Search users by email').fill(email);
  await expect(admin.locator(`tr[data-email="${email}"]`)).toBeVisible();
  await expect(admin.getByTestId('users').locator('tbody tr')).toHaveCount(1);
  expect(await violations(admin), '/admin').toEqual([]);
  await adminContext.close();
});

test('an injected inline script does not run and is reported', async ({ page }) => {
  await visit(page, '/login');
  await waitForHydration(page);
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__pwned=1';
    document.body.appendChild(s);
  });
  // An inserted script runs synchronously, so it would have run by now.
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await expect
    .poll(() => violations(page))
    .toContainEqual(expect.objectContaining({ directive: 'script-src-elem', blocked: 'inline' }));
});
