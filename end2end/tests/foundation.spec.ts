import { test, expect } from '@playwright/test';
import { oneFile } from '../playwright.config';

/** Where the page's package files live: `/pkg/` from disk, `/pkg/<build id>/` from the binary. */
async function packageDir(request: import('@playwright/test').APIRequestContext): Promise<string> {
  const html = await (await request.get('/')).text();
  const found = html.match(/\/pkg\/(?:[0-9a-f]{16}\/)?(?=latchkey\.js)/);
  expect(found, 'the page links its script').not.toBeNull();
  return found![0];
}

test('home page is rendered on the server', async ({ request }) => {
  const response = await request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('<h1>latchkey</h1>');
  expect(html).toMatch(/\/pkg\/(?:[0-9a-f]{16}\/)?latchkey\.js/);
  expect(html).toMatch(/\/pkg\/(?:[0-9a-f]{16}\/)?latchkey\.css/);
});

test('unknown pages answer 404 with the not-found page', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('static assets are served', async ({ request }) => {
  const pkg = await packageDir(request);
  const wasm = await request.get(`${pkg}latchkey.wasm`);
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()['content-type']).toBe('application/wasm');
  const css = await request.get(`${pkg}latchkey.css`);
  expect(css.status()).toBe(200);
});

test('the binary serves its own files, versioned, cached for good and revalidated by ETag', async ({ request }) => {
  test.skip(!oneFile, 'this run serves the site from disk (LATCHKEY_E2E_ONE_FILE is not 1)');
  const pkg = await packageDir(request);
  expect(pkg).toMatch(/^\/pkg\/[0-9a-f]{16}\/$/);
  const js = await request.get(`${pkg}latchkey.js`);
  expect(js.status()).toBe(200);
  expect(js.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  const etag = js.headers()['etag'];
  expect(etag).toMatch(/^"[0-9a-f]{32}(-br|-gzip)?"$/);
  const again = await request.get(`${pkg}latchkey.js`, { headers: { 'if-none-match': etag } });
  expect(again.status()).toBe(304);
  // Another build's files are gone rather than answered with this build's.
  expect((await request.get('/pkg/0123456789abcdef/latchkey.js')).status()).toBe(404);
  // The working directory is not served: the server runs in an empty folder beside its database.
  expect((await request.get('/latchkey')).status()).toBe(404);
});

test('healthz answers 200 when the database is up', async ({ request }) => {
  const response = await request.get('/healthz');
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok', revocations: 'current' });
});
