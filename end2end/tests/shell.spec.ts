import { test, expect } from '@playwright/test';
import { adminEmail, adminPassword, shortTtlURL } from '../playwright.config';
import { newDevice, PASSWORD, register, signIn, uniqueEmail, waitForHydration } from './helpers';

// The access token on the short-TTL server lives 8 s and is renewed at 80 %: 17 s is at least
// two silent renewals.
const TWO_RENEWALS_MS = 17_000;

async function registerOnShortTtl(page: import('@playwright/test').Page, email: string) {
  await page.goto(`${shortTtlURL}/register`);
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('session')).toHaveCount(1);
}

test('silent renewals keep typed input, the checkbox, notices and the scroll position', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 900, height: 420 } });
  const page = await newDevice(context);
  let refreshes = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/auth/refresh')) refreshes += 1; });
  await registerOnShortTtl(page, uniqueEmail('renewals'));

  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByLabel('Current password').fill('half-typed current');
  await page.getByLabel('New password').fill('half-typed new one');
  const box = page.getByLabel('Sign out my other devices');
  await box.uncheck();
  // A marker on the DOM node: a rebuilt page would be a new node without it.
  const passwordForm = page.locator('form').filter({ has: page.getByLabel('Current password') });
  await passwordForm.evaluate((form) => form.setAttribute('data-marker', 'same-node'));
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const scrolled = await page.evaluate(() => window.scrollY);

  const before = refreshes;
  await page.waitForTimeout(TWO_RENEWALS_MS);
  expect(refreshes - before).toBeGreaterThanOrEqual(2);

  await expect(page.getByLabel('Current password')).toHaveValue('half-typed current');
  await expect(page.getByLabel('New password')).toHaveValue('half-typed new one');
  await expect(box).not.toBeChecked();
  await expect(page.locator('form[data-marker=same-node]')).toHaveCount(1);
  expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);
  await page.screenshot({ path: 'screenshots/account-after-two-renewals.png', fullPage: true });
  await context.close();
});

test('a revoke after an idle period shows its notice and a list without the revoked device', async ({ browser }) => {
  const email = uniqueEmail('idle-revoke');
  const a = await newDevice(await browser.newContext());
  const b = await newDevice(await browser.newContext());
  // A laptop asleep: the page's timers stop while real time (and the token's life) runs on.
  await a.clock.install();
  await registerOnShortTtl(a, email);
  await b.goto(`${shortTtlURL}/login`);
  await waitForHydration(b);
  await b.getByLabel('Email').fill(email);
  await b.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await b.getByRole('button', { name: 'Sign in' }).click();
  await expect(b.getByTestId('signed-in-as')).toHaveText(email);

  await a.reload();
  await expect(a.getByTestId('session')).toHaveCount(2);
  await a.clock.pauseAt((await a.evaluate(() => Date.now())) + 1_000);
  // Past the token's 8 s and the server's 5 s leeway, with no renewal in between.
  await a.waitForTimeout(14_000);
  await a.getByTestId('session').filter({ hasNot: a.locator('.badge') }).getByRole('button', { name: 'Sign out' }).click();
  await expect(a.locator('.notice[role=status]')).toContainText('signed out');
  await expect(a.getByTestId('session')).toHaveCount(1);
  await expect(a.getByTestId('session')).toHaveAttribute('data-current', 'true');
});

test('signing out from a protected page and back in never lands on the sign-in form', async ({ page }) => {
  const email = uniqueEmail('next-loop');
  await register(page, email);
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  expect(decodeURIComponent(page.url())).not.toContain('next=/login');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
  await expect(page).not.toHaveURL(/\/(login|register)/);

  // A crafted link cannot send the next sign-in back to the form either.
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await page.goto('/login?next=%2Flogin');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/sessions$/);
});

test('opening the sign-in page while signed in offers the account or a clean switch', async ({ page, context, request }) => {
  const first = uniqueEmail('switch-a');
  const second = uniqueEmail('switch-b');
  await register(page, second);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await register(page, first);
  const firstCookie = (await context.cookies()).find((c) => c.name === '__Host-latchkey-refresh')!.value;

  await page.goto('/login');
  const card = page.getByTestId('already-signed-in');
  await expect(card).toContainText(first);
  await card.getByRole('button', { name: 'Sign out and use another account' }).click();
  await expect(card).toHaveCount(0);
  await signIn(page, second);

  // The first account's session ended with the switch instead of lingering for a week.
  const stale = await request.post('/api/auth/refresh', {
    headers: { cookie: `__Host-latchkey-refresh=${firstCookie}`, origin: new URL(page.url()).origin },
    data: {},
  });
  expect(stale.status()).toBe(401);
});

test('there is a favicon, and navigation moves focus to the page heading', async ({ page, request }) => {
  const icon = await request.get('/favicon.ico');
  expect(icon.status()).toBe(200);
  expect(icon.headers()['content-type']).toMatch(/icon/);

  await register(page, uniqueEmail('focus'));
  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Security activity');
  await expect(page.locator('main h1')).toBeFocused();
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.locator('main h1')).toHaveText('Account');
  await expect(page.locator('main h1')).toBeFocused();
});

test('what is typed before the app is interactive is kept and signs in', async ({ browser }) => {
  const email = uniqueEmail('early-typist');
  const setup = await browser.newPage();
  await register(setup, email);
  await setup.close();

  const context = await browser.newContext();
  const page = await context.newPage();
  // A slow connection: the WASM arrives three seconds after the HTML.
  await page.route('**/*.wasm', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await route.continue();
  });
  await page.goto('/login');
  await expect(page.getByRole('button', { name: 'Loading…' })).toBeDisabled();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await waitForHydration(page);
  await expect(page.getByLabel('Email')).toHaveValue(email);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
  await context.close();
});

test('a sign-out the server never heard of says so and can be retried', async ({ page, context }) => {
  const email = uniqueEmail('offline-signout');
  await register(page, email);
  await page.route('**/api/auth/logout', (route) => route.abort('internetdisconnected'));
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  const failed = page.getByTestId('sign-out-failed');
  await expect(failed).toContainText('could not be reached');
  // The page forgot its token at once; the cookie, which only the server can clear, remains.
  expect((await context.cookies()).some((c) => c.name === '__Host-latchkey-refresh' && c.value !== '')).toBe(true);

  await page.unroute('**/api/auth/logout');
  await failed.getByRole('button', { name: 'Try signing out again' }).click();
  await expect(page.getByTestId('signed-out')).toHaveText('You have signed out.');
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
});

test('"Sign out everywhere" that fails says nothing was signed out and keeps the list', async ({ page }) => {
  await register(page, uniqueEmail('offline-everywhere'));
  page.on('dialog', (dialog) => dialog.accept());
  await page.route('**/api/sessions/revoke_all', (route) => route.abort('internetdisconnected'));
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page.locator('.notice[role=status]')).toContainText('so nothing was signed out');
  await expect(page).toHaveURL(/\/sessions$/);
  await expect(page.getByTestId('session')).toHaveCount(1);
  await expect(page.getByTestId('signed-in-as')).toBeVisible();

  await page.unroute('**/api/sessions/revoke_all');
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByTestId('signed-out-reason')).toContainText('You signed out everywhere');
});

test('admin details open in place of the list, focused, and disabling asks first', async ({ browser }) => {
  const email = uniqueEmail('admin-detail');
  const userPage = await browser.newPage();
  await register(userPage, email);
  await userPage.close();

  const context = await browser.newContext({ viewport: { width: 1000, height: 600 } });
  const page = await context.newPage();
  await signIn(page, adminEmail, adminPassword);
  await page.goto('/admin');
  await page.getByLabel('Search users by email').fill(email);
  const row = page.locator(`tr[data-email="${email}"]`);
  await row.getByRole('button', { name: 'Details' }).click();

  const detail = page.getByTestId('user-detail');
  await expect(detail).toBeInViewport();
  await expect(detail.getByRole('heading', { level: 2 })).toBeFocused();
  await expect(page.getByTestId('users')).toBeHidden();

  // Disabling asks first, naming the account; saying no changes nothing.
  let asked = '';
  page.once('dialog', (dialog) => { asked = dialog.message(); void dialog.dismiss(); });
  await detail.getByRole('button', { name: 'Disable account' }).click();
  await expect.poll(() => asked).toContain(email);
  await expect(detail.getByRole('button', { name: 'Disable account' })).toBeVisible();
  page.once('dialog', (dialog) => void dialog.accept());
  await detail.getByRole('button', { name: 'Disable account' }).click();
  await expect(detail.getByRole('button', { name: 'Enable account' })).toBeVisible();

  // Back: the search is still there and the row is marked and focused.
  await detail.getByRole('button', { name: 'Back to all users' }).click();
  await expect(page.getByLabel('Search users by email')).toHaveValue(email);
  await expect(row).toHaveAttribute('aria-current', 'true');
  await expect(row.getByRole('button', { name: 'Details' })).toBeFocused();
  await expect(row).toContainText('Disabled');
  await context.close();
});

test('the devices list stays during an outage, each problem is said once, and it retries', async ({ browser }) => {
  const email = uniqueEmail('outage');
  const other = await browser.newPage();
  await register(other, email);
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  let asked = '';
  page.on('dialog', (dialog) => { asked = dialog.message(); void dialog.accept(); });
  await signIn(page, email);
  await page.goto('/sessions');
  await expect(page.getByTestId('session')).toHaveCount(2);
  // This device first, whatever was active last.
  await expect(page.getByTestId('session').first()).toHaveAttribute('data-current', 'true');

  // The server is gone: the action says it did not happen, once, and the list stays.
  await page.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await page.getByRole('button', { name: 'Sign out all other devices' }).click();
  await expect(page.locator('.notice[role=status]')).toHaveText(
    'Could not reach the server, so no device was signed out. Check your connection and try again.');
  await expect(page.locator('[role=alert], .notice')).toHaveCount(1);
  await expect(page.getByTestId('session')).toHaveCount(2);
  await page.unroute('**/api/**');

  // The action works but the list cannot be reloaded: the last list stays, flagged, with Retry.
  await page.route('**/api/sessions/list', (route) => route.abort('internetdisconnected'));
  await page.getByTestId('session').nth(1).getByRole('button', { name: /^Sign out / }).click();
  // Confirmations name the device they act on.
  await expect.poll(() => asked).toMatch(/^Sign out .+ on .+\?$/);
  await expect(page.locator('.notice[role=status]')).toContainText('was signed out.');
  const problem = page.getByTestId('list-problem');
  await expect(problem).toContainText('Could not reach the server, so this list may be out of date.');
  await expect(page.getByTestId('session')).toHaveCount(2);
  await page.screenshot({ path: 'screenshots/sessions-during-an-outage.png', fullPage: true });

  await page.unroute('**/api/sessions/list');
  await problem.getByRole('button', { name: 'Retry' }).click();
  await expect(problem).toHaveCount(0);
  await expect(page.getByTestId('session')).toHaveCount(1);
  await other.close();
  await context.close();
});
