import { test, expect } from '@playwright/test';
import { adminEmail, adminPassword } from '../playwright.config';
import { newDevice, register, signIn, uniqueEmail, waitForHydration } from './helpers';

const NEW_PASSWORD = 'lanterns hum over quiet docks';

test('an admin creates a reset link; the owner opens it elsewhere, sets a password and signs in', async ({ browser }) => {
  const email = uniqueEmail('reset');
  const ownerContext = await browser.newContext();
  const adminContext = await browser.newContext();
  const owner = await newDevice(ownerContext);
  const admin = await newDevice(adminContext);
  await register(owner, email);

  await signIn(admin, adminEmail, adminPassword);
  await admin.goto('/admin');
  await admin.getByLabel('Search users by email').fill(email);
  await admin.locator(`tr[data-email="${email}"]`).getByRole('button', { name: 'Details' }).click();
  await admin.getByRole('button', { name: `Create a password reset link for ${email}` }).click();
  const field = admin.getByLabel('Password reset link');
  await expect(field).toHaveAttribute('readonly', '');
  await expect(field).toHaveValue(/\/reset-password#[A-Za-z0-9_-]{43}$/);
  await expect(admin.getByText(/Works once, until/)).toBeVisible();
  const link = await field.inputValue();

  // A fresh browser, as the owner who forgot the password would have.
  const freshContext = await browser.newContext();
  const fresh = await newDevice(freshContext);
  await fresh.goto(link);
  await waitForHydration(fresh);
  await expect(fresh.getByRole('heading', { name: 'Set a new password' })).toBeVisible();
  // The token leaves the address bar once read.
  await expect(fresh).toHaveURL(/\/reset-password$/);
  await fresh.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await fresh.getByRole('button', { name: 'Set new password' }).click();
  await expect(fresh).toHaveURL(/\/login\?reason=password_reset/);
  await expect(fresh.getByTestId('signed-out-reason')).toHaveText(
    'Your password was reset, so every session ended. Sign in with the new password.',
  );
  await signIn(fresh, email, NEW_PASSWORD);

  // The owner's earlier browser was signed out by the reset.
  await owner.getByRole('link', { name: 'Activity' }).click();
  await expect(owner).toHaveURL(/\/login/);

  // The link worked once.
  const again = await newDevice(await browser.newContext());
  await again.goto(link);
  await waitForHydration(again);
  await again.getByLabel('New password', { exact: true }).fill('another pass phrase entirely');
  await again.getByRole('button', { name: 'Set new password' }).click();
  await expect(again.getByRole('alert')).toContainText('This password reset link is not valid');

  await ownerContext.close();
  await adminContext.close();
  await freshContext.close();
});
