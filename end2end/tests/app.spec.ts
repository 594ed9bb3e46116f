import { test, expect, Page } from '@playwright/test';
import { adminEmail, adminPassword, shortTtlURL } from '../playwright.config';
import { PASSWORD, expectNoTokenInStorage, newDevice, register, signIn, uniqueEmail, waitForHydration } from './helpers';

test.beforeEach(async ({ page }) => {
  page.on('dialog', (dialog) => dialog.accept());
});

test('register lands signed in; reload keeps the session with no token in page storage', async ({ page, context }) => {
  const email = uniqueEmail('reg');
  await register(page, email);
  await expect(page.getByTestId('session')).toHaveCount(1);
  await expect(page.getByText('This device')).toBeVisible();
  await expectNoTokenInStorage(page);

  await page.reload();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
  await expect(page.getByTestId('session')).toHaveCount(1);
  await expectNoTokenInStorage(page);

  const cookies = await context.cookies();
  const refresh = cookies.find((c) => c.name === '__Host-latchkey-refresh');
  expect(refresh).toBeDefined();
  expect(refresh!.httpOnly).toBe(true);
  expect(refresh!.secure).toBe(true);
  expect(refresh!.sameSite).toBe('Strict');
  expect(refresh!.path).toBe('/');
});

test('sign out sends protected pages to sign in, and back after signing in', async ({ page }) => {
  const email = uniqueEmail('out');
  await register(page, email);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount/);
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
});

test('a protected page says it is checking the session before it knows', async ({ request }) => {
  const html = await (await request.get('/sessions')).text();
  expect(html).toContain('Checking your session');
});

test('bad password shows one generic error', async ({ page }) => {
  const email = uniqueEmail('bad');
  await register(page, email);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  for (const who of [email, uniqueEmail('nobody')]) {
    await page.goto('/login');
    await waitForHydration(page);
    await page.getByLabel('Email').fill(who);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
  }
});

test('inline validation matches the server rules', async ({ page }) => {
  await page.goto('/register');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(uniqueEmail('short'));
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('Use at least 8 characters. A few words together are easiest.');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('type', 'text');
});

test('device A sees device B, revokes it, and B is sent to sign in with the reason', async ({ browser }) => {
  const email = uniqueEmail('two');
  const a = await browser.newContext();
  const b = await browser.newContext();
  const pageA = await newDevice(a);
  const pageB = await newDevice(b);
  await register(pageA, email);
  await signIn(pageB, email);

  await pageA.goto('/sessions');
  await expect(pageA.getByTestId('session')).toHaveCount(2);
  const other = pageA.locator('[data-testid=session][data-current=false]');
  await other.getByRole('button', { name: 'Sign out' }).click();
  await expect(pageA.getByTestId('session')).toHaveCount(1);

  await pageB.getByRole('link', { name: 'Activity' }).click();
  await expect(pageB).toHaveURL(/\/login/);
  await expect(pageB.getByTestId('signed-out-reason')).toHaveText('This device was signed out from another of your devices. Sign in again to continue.');
  await a.close();
  await b.close();
});

test('"Sign out all other devices" keeps this one', async ({ browser }) => {
  const email = uniqueEmail('others');
  const contexts = await Promise.all([browser.newContext(), browser.newContext(), browser.newContext()]);
  const pages = await Promise.all(contexts.map(newDevice));
  await register(pages[0], email);
  await signIn(pages[1], email);
  await signIn(pages[2], email);
  await pages[0].goto('/sessions');
  await expect(pages[0].getByTestId('session')).toHaveCount(3);
  await pages[0].getByRole('button', { name: 'Sign out all other devices' }).click();
  await expect(pages[0].getByTestId('session')).toHaveCount(1);
  await expect(pages[0].getByTestId('ended-sessions')).toContainText('Sign out all other devices');
  for (const page of pages.slice(1)) {
    await page.goto('/sessions');
    await expect(page).toHaveURL(/\/login/);
  }
  await Promise.all(contexts.map((c) => c.close()));
});

test('five tabs opened at once and reloaded stay signed in, with no reuse event', async ({ page, context }) => {
  const email = uniqueEmail('tabs');
  await register(page, email);
  const tabs: Page[] = await Promise.all([1, 2, 3, 4, 5].map(() => context.newPage()));
  await Promise.all(tabs.map((t) => t.goto('/sessions')));
  for (const t of tabs) await expect(t.getByTestId('signed-in-as')).toHaveText(email);
  await Promise.all(tabs.map((t) => t.reload()));
  for (const t of tabs) await expect(t.getByTestId('signed-in-as')).toHaveText(email);
  await tabs[0].goto('/activity');
  await expect(tabs[0].getByTestId('events')).toBeVisible();
  await expect(tabs[0].locator('[data-kind=refresh_reused]')).toHaveCount(0);
  await expect(tabs[0].locator('[data-kind=session_revoked]')).toHaveCount(0);
  // One device key for every tab: no tab's proof looked like another device's.
  await expect(tabs[0].locator('[data-kind=used_from_another_device]')).toHaveCount(0);
});

test('logout in one tab signs out the others', async ({ page, context }) => {
  await register(page, uniqueEmail('bc'));
  const other = await context.newPage();
  await other.goto('/sessions');
  await expect(other.getByTestId('session')).toHaveCount(1);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(other).toHaveURL(/\/login/);
  await expect(other.getByTestId('signed-out-reason')).toHaveText('You signed out in another tab.');
});

test('an expiring access token is renewed without the user noticing', async ({ page }) => {
  const email = uniqueEmail('ttl');
  let refreshes = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/auth/refresh')) refreshes += 1; });
  await page.goto(`${shortTtlURL}/register`);
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('session')).toHaveCount(1);
  const before = refreshes;
  // The token lives 8 s; wait for two lifetimes, then use the page.
  await page.waitForTimeout(17_000);
  expect(refreshes).toBeGreaterThan(before);
  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByTestId('events')).toBeVisible();
  await expect(page).toHaveURL(/\/activity$/);
});

test('admin forces a user out; the user loses access on the next call', async ({ browser }) => {
  const email = uniqueEmail('forced');
  const userContext = await browser.newContext();
  const adminContext = await browser.newContext();
  const user = await newDevice(userContext);
  const admin = await newDevice(adminContext);
  await register(user, email);
  await signIn(admin, adminEmail, adminPassword);
  await admin.goto('/admin');
  await admin.getByLabel('Search users by email').fill(email);
  const row = admin.locator(`tr[data-email="${email}"]`);
  await row.getByRole('button', { name: 'Details' }).click();
  await admin.getByRole('button', { name: 'Force logout' }).click();
  await expect(admin.locator('.notice[role=status]')).toContainText('Ended 1 session');

  await user.getByRole('link', { name: 'Activity' }).click();
  await expect(user).toHaveURL(/\/login/);
  await expect(user.getByTestId('signed-out-reason')).toHaveText('An administrator ended your session. Sign in again to continue.');
  await userContext.close();
  await adminContext.close();
});

test('a non-admin opening /admin sees 403 and no Admin link', async ({ page }) => {
  await register(page, uniqueEmail('plain'));
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await page.goto('/admin');
  await expect(page.getByTestId('forbidden')).toContainText('403');
});

test('password change signs out the other device', async ({ browser }) => {
  const email = uniqueEmail('pw');
  const a = await browser.newContext();
  const b = await browser.newContext();
  const pageA = await newDevice(a);
  const pageB = await newDevice(b);
  await register(pageA, email);
  await signIn(pageB, email);
  await pageA.goto('/account');
  await pageA.getByLabel('Current password').fill(PASSWORD);
  await pageA.getByLabel('New password').fill('a brand new password');
  await expect(pageA.getByLabel('Sign out my other devices')).toBeChecked();
  await pageA.getByRole('button', { name: 'Change password' }).click();
  await expect(pageA.getByRole('status')).toHaveText('Password changed.');
  await pageB.getByRole('link', { name: 'Activity' }).click();
  await expect(pageB).toHaveURL(/\/login/);
  await expect(pageB.getByTestId('signed-out-reason')).toHaveText('Your password was changed, so this device was signed out. Sign in with the new password.');
  await a.close();
  await b.close();
});
