import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { adminEmail, adminPassword } from '../playwright.config';
import { register, signIn, uniqueEmail } from './helpers';

// Every page, signed out and signed in, light and dark, against WCAG 2.1 A and AA (colour
// contrast included). A violation fails the test with axe's own description of what and where.
const schemes = ['light', 'dark'] as const;

async function settle(page: Page, path: string) {
  await page.goto(path);
  await page.waitForLoadState('networkidle');
  await expect(page.locator('main h1').first()).toBeVisible();
  // Nothing still loading: axe should judge the page people read, not its placeholder.
  await expect(page.locator('[role=status].checking')).toHaveCount(0);
}

async function expectNoViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n` + v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary}`).join('\n'),
  );
  expect(found, `${what}\n${found.join('\n')}`).toEqual([]);
}

for (const scheme of schemes) {
  test(`signed-out pages pass axe in ${scheme} mode`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    for (const path of ['/', '/login', '/register', '/no/such/page']) {
      await settle(page, path);
      await expectNoViolations(page, `${path} (${scheme}, signed out)`);
    }
  });

  test(`signed-in pages pass axe in ${scheme} mode`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    page.on('dialog', (dialog) => dialog.dismiss());
    await register(page, uniqueEmail(`axe-${scheme}`));
    for (const path of ['/', '/sessions', '/activity', '/account']) {
      await settle(page, path);
      await expectNoViolations(page, `${path} (${scheme}, signed in)`);
    }
  });

  test(`admin pages pass axe in ${scheme} mode`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    page.on('dialog', (dialog) => dialog.dismiss());
    await signIn(page, adminEmail, adminPassword);
    await settle(page, '/admin');
    await expectNoViolations(page, `/admin (${scheme})`);
    // A user's detail, with its sessions and actions open.
    const details = page.getByRole('button', { name: `Details of ${adminEmail}` });
    await expect(details).toBeVisible();
    await details.click();
    await page.waitForLoadState('networkidle');
    await expectNoViolations(page, `/admin user detail (${scheme})`);
  });
}
