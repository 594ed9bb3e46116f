import { test, expect } from '@playwright/test';
import { adminEmail, adminPassword } from '../playwright.config';
import { PASSWORD, newDevice, register, signIn, uniqueEmail, waitForHydration } from './helpers';

test('a person deletes their own account and lands signed out on the home page', async ({ page }) => {
  page.on('dialog', (dialog) => dialog.accept());
  const email = uniqueEmail('leaving');
  await register(page, email);
  await page.goto('/account');
  const section = page.getByTestId('delete-account');
  await expect(section.getByRole('heading', { name: 'Delete your account' })).toBeVisible();
  await section.getByLabel('Your password, to confirm').fill('not the password');
  await section.getByRole('button', { name: 'Delete my account' }).click();
  await expect(section.getByRole('alert')).toHaveText('The current password is incorrect.');

  await section.getByLabel('Your password, to confirm').fill(PASSWORD);
  await section.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/\?account_deleted/);
  await expect(page.getByTestId('account-deleted')).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveCount(0);

  // The email is free again.
  await register(page, email);
});

test('an admin deletes an account after confirming; its owner is signed out', async ({ browser }) => {
  const email = uniqueEmail('removed');
  const ownerContext = await browser.newContext();
  const adminContext = await browser.newContext();
  const owner = await newDevice(ownerContext);
  const admin = await newDevice(adminContext);
  await register(owner, email);
  await signIn(admin, adminEmail, adminPassword);
  await admin.goto('/admin');
  await admin.getByLabel('Search users by email').fill(email);
  await admin.locator(`tr[data-email="${email}"]`).getByRole('button', { name: 'Details' }).click();
  await admin.getByRole('button', { name: `Delete ${email}` }).click();
  await expect(admin.locator('.notice[role=status]')).toHaveText(`${email} was deleted.`);
  await expect(admin.locator(`tr[data-email="${email}"]`)).toHaveCount(0);

  await owner.getByRole('link', { name: 'Activity' }).click();
  await expect(owner).toHaveURL(/\/login/);
  await waitForHydration(owner);
  await ownerContext.close();
  await adminContext.close();
});
