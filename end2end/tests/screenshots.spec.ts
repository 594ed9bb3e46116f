import { test, expect } from '@playwright/test';
import { adminEmail, adminPassword } from '../playwright.config';
import { signIn, waitForHydration } from './helpers';

// Writes end2end/screenshots/<page>-<scheme>.png (ignored by git) so anyone can look.
for (const scheme of ['light', 'dark'] as const) {
  test(`screenshots in ${scheme} mode`, async ({ browser }) => {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    await page.goto('/login');
    await waitForHydration(page);
    await page.screenshot({ path: `screenshots/sign-in-${scheme}.png`, fullPage: true });
    await signIn(page, adminEmail, adminPassword);
    await page.goto('/sessions');
    await expect(page.getByTestId('session').first()).toBeVisible();
    await page.screenshot({ path: `screenshots/sessions-${scheme}.png`, fullPage: true });
    await page.goto('/admin');
    await expect(page.getByTestId('users')).toBeVisible();
    await page.screenshot({ path: `screenshots/admin-${scheme}.png`, fullPage: true });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/sessions');
    await expect(page.getByTestId('session').first()).toBeVisible();
    await page.screenshot({ path: `screenshots/sessions-mobile-${scheme}.png`, fullPage: true });
    await context.close();
  });
}
