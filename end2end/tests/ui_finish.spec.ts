import { test, expect } from '@playwright/test';
import { adminEmail, adminPassword } from '../playwright.config';
import { register, signIn, uniqueEmail } from './helpers';

test('every page has its own title and the nav marks where you are', async ({ page }) => {
  await page.goto('/login');
  await expect(page).toHaveTitle('Sign in · latchkey');
  await page.goto('/register');
  await expect(page).toHaveTitle('Create your account · latchkey');
  await page.goto('/no/such/page');
  await expect(page).toHaveTitle('Page not found · latchkey');

  await register(page, uniqueEmail('titles'));
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const [link, path, title] of [
    ['Devices', '/sessions', 'Your devices · latchkey'],
    ['Activity', '/activity', 'Security activity · latchkey'],
    ['Account', '/account', 'Account · latchkey'],
  ]) {
    await nav.getByRole('link', { name: link }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(page).toHaveTitle(title);
    await expect(nav.getByRole('link', { name: link })).toHaveAttribute('aria-current', 'page');
    await expect(nav.locator('a[aria-current=page]')).toHaveCount(1);
  }
});

test('the home page explains latchkey signed out and summarises the account signed in', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'latchkey' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
  await expect(page.getByText('Pressed')).toHaveCount(0);

  const email = uniqueEmail('glance');
  await register(page, email);
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await expect(page.locator('main')).toContainText(email);
  await expect(page.getByTestId('glance-devices')).toContainText('1 device is signed in.');
  await expect(page.getByTestId('glance-activity')).toContainText('Account created');
});

test('admin search waits for typing to pause and says when nothing matches', async ({ page }) => {
  await signIn(page, adminEmail, adminPassword);
  await page.goto('/admin');
  await expect(page.getByTestId('users')).toBeVisible();
  let searches = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/api/admin/users')) searches += 1;
  });
  const nobody = `nobody-${Date.now()}`;
  await page.getByLabel('Search users by email').pressSequentially(nobody, { delay: 40 });
  await expect(page.getByTestId('users-empty')).toHaveText(`No account's email contains “${nobody}”.`);
  // One search for the whole word (a retry after a token renewal may add one), not one per key.
  expect(searches).toBeLessThanOrEqual(2);
  expect(searches).toBeGreaterThanOrEqual(1);
});

test('a new account\'s activity page has content, and long histories are paged', async ({ page }) => {
  await register(page, uniqueEmail('pages'));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByTestId('events').locator('li')).toHaveCount(1);
  // Fewer than a page: no pager.
  await expect(page.locator('.pager')).toHaveCount(0);
});
