import { expect, Page, BrowserContext } from '@playwright/test';

export const PASSWORD = 'correct horse battery staple';

let counter = 0;
export function uniqueEmail(tag: string): string {
  counter += 1;
  return `${tag}-${Date.now()}-${counter}@example.com`;
}

/** Waits until the WASM app has hydrated (forms enable themselves then). */
export async function waitForHydration(page: Page) {
  await expect(page.locator('form button[type=submit]')).toBeEnabled({ timeout: 20_000 });
}

export async function register(page: Page, email: string, password = PASSWORD) {
  await page.goto('/register');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/sessions$/);
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
}

/** Nothing readable by page scripts may hold a token. */
export async function expectNoTokenInStorage(page: Page) {
  const stored = await page.evaluate(() => ({
    local: Object.keys(localStorage).length,
    session: Object.keys(sessionStorage).length,
    cookie: document.cookie,
  }));
  expect(stored).toEqual({ local: 0, session: 0, cookie: '' });
}

export async function newDevice(context: BrowserContext) {
  const page = await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  return page;
}
