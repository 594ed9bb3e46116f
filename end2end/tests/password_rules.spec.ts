import { test, expect, Page } from '@playwright/test';
import { PASSWORD, register, uniqueEmail, waitForHydration } from './helpers';

const meter = (page: Page) => page.getByTestId('password-meter');

async function typePassword(page: Page, label: string, value: string) {
  // Typed key by key, as a person would: the verdict follows every keystroke.
  const field = page.getByLabel(label, { exact: true });
  await field.fill('');
  await field.pressSequentially(value);
}

test('the register page explains each refusal as the password is typed, and sends nothing refused', async ({ page }) => {
  let registrations = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/auth/register')) registrations += 1; });
  await page.goto('/register');
  await waitForHydration(page);
  const email = uniqueEmail('kim.lee');
  await page.getByLabel('Email').fill(email);
  await expect(meter(page)).toBeHidden();

  const refusals: [string, RegExp][] = [
    ['short', /Use at least 8 characters/],
    ['          ', /cannot be only spaces/],
    ['sunshine', /one of the most common passwords/],
    ['Password123!', /follows a pattern attackers try first/],
    ['aaaaaaaaaaaa', /follows a pattern attackers try first/],
    [`i am ${email.split('@')[0]}`, /contains your email address/],
  ];
  for (const [password, reason] of refusals) {
    await typePassword(page, 'Password', password);
    await expect(page.getByTestId('password-problem')).toContainText(reason);
    await expect(meter(page)).toContainText('Strength: Too weak.');
    await expect(meter(page)).toHaveAttribute('data-level', '0');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('alert')).toContainText(reason);
  }
  expect(registrations).toBe(0);

  await typePassword(page, 'Password', 'monkey-banana-7');
  await expect(meter(page)).toHaveAttribute('data-level', '1');
  await expect(meter(page)).toContainText('Strength: Weak. Common passwords and words are guessed early');
  await typePassword(page, 'Password', PASSWORD);
  await expect(meter(page)).toHaveAttribute('data-level', '4');
  await expect(meter(page)).toContainText('Strength: Strong.');
  await expect(page.getByTestId('password-problem')).toHaveCount(0);
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('aria-describedby', 'password-strength');
  await page.screenshot({ path: 'screenshots/register-strength-meter.png', fullPage: true });
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/sessions$/);
  expect(registrations).toBe(1);
});

test('a password typed before the app loaded is judged once it has', async ({ page }) => {
  await page.route('**/pkg/*.wasm', async (route) => {
    // Hold the app back long enough for someone quick (or a password manager) to fill the form.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  await page.goto('/register');
  await page.getByLabel('Password', { exact: true }).fill('sunshine');
  await waitForHydration(page);
  await expect(page.getByTestId('password-problem')).toContainText('one of the most common passwords');
});

test('the account page refuses the current password and the email as they are typed', async ({ page }) => {
  const email = uniqueEmail('dana.scully');
  await register(page, email);
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByLabel('Current password').fill(PASSWORD);

  await typePassword(page, 'New password', PASSWORD);
  await expect(page.getByTestId('password-problem')).toContainText('the same as the current one');
  await typePassword(page, 'New password', `trust ${email.split('@')[0]}`);
  await expect(page.getByTestId('password-problem')).toContainText('contains your email address');

  await typePassword(page, 'New password', 'violet lanterns at noon');
  await expect(meter(page)).toContainText('Strength: Strong.');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toHaveText('Password changed.');
});
