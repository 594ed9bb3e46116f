import { test, expect } from '@playwright/test';

test('home page is rendered on the server', async ({ request }) => {
  const response = await request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('<h1>latchkey</h1>');
  expect(html).toContain('/pkg/latchkey.js');
  expect(html).toContain('/pkg/latchkey.css');
});

test('unknown pages answer 404 with the not-found page', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('static assets are served', async ({ request }) => {
  const wasm = await request.get('/pkg/latchkey.wasm');
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()['content-type']).toBe('application/wasm');
  const css = await request.get('/pkg/latchkey.css');
  expect(css.status()).toBe(200);
});

test('healthz answers 200 when the database is up', async ({ request }) => {
  const response = await request.get('/healthz');
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok', revocations: 'current' });
});
