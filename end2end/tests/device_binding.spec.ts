import { test, expect } from '@playwright/test';
import { register, uniqueEmail, expectNoTokenInStorage, newDevice, signIn } from './helpers';

/** What IndexedDB holds for the device key, as page script can see it. */
async function storedDeviceKey(page: import('@playwright/test').Page) {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((resolve, reject) => {
      const open = indexedDB.open('latchkey');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const pair: any = await new Promise((resolve, reject) => {
      const get = db.transaction('device-key').objectStore('device-key').get('current');
      get.onsuccess = () => resolve(get.result);
      get.onerror = () => reject(get.error);
    });
    db.close();
    if (!pair) return null;
    let exported = 'exported';
    try {
      await crypto.subtle.exportKey('jwk', pair.privateKey);
    } catch (e) {
      exported = (e as Error).name;
    }
    return {
      keys: Object.keys(pair).sort(),
      privateIsCryptoKey: pair.privateKey instanceof CryptoKey,
      privateExtractable: pair.privateKey.extractable,
      algorithm: pair.privateKey.algorithm.name + ' ' + pair.privateKey.algorithm.namedCurve,
      usages: pair.privateKey.usages,
      exported,
    };
  });
}

test('the session is bound to a key script cannot read, and no token or proof is stored', async ({ page }) => {
  const proofs: string[] = [];
  page.on('request', (request) => {
    const proof = request.headers()['dpop'];
    if (proof) proofs.push(new URL(request.url()).pathname);
  });
  await register(page, uniqueEmail('bound'));
  await page.reload();
  await expect(page.getByTestId('session')).toHaveCount(1);
  // Register and the refresh after the reload both carried a proof.
  expect(proofs).toEqual(expect.arrayContaining(['/api/auth/register', '/api/auth/refresh']));
  await expect(page.getByTestId('binding')).toHaveAttribute('data-bound', 'true');
  await expectNoTokenInStorage(page);
  expect(await storedDeviceKey(page)).toEqual({
    keys: ['privateKey', 'publicKey'],
    privateIsCryptoKey: true,
    privateExtractable: false,
    algorithm: 'ECDSA P-256',
    usages: ['sign'],
    exported: 'InvalidAccessError',
  });
  await page.screenshot({ path: 'screenshots/sessions-bound-device.png', fullPage: true });

  // Signing out deletes the key.
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect.poll(() => storedDeviceKey(page)).toBeNull();
});

test('a copied refresh cookie ends the session as stolen, and the victim is told why', async ({ browser }) => {
  const email = uniqueEmail('copied');
  const victimContext = await browser.newContext();
  const victim = await newDevice(victimContext);
  await register(victim, email);

  // The thief copies the cookie into a browser of their own: it has no way to the victim's key.
  const thiefContext = await browser.newContext();
  await thiefContext.addCookies(await victimContext.cookies());
  const thief = await thiefContext.newPage();
  const refused = thief.waitForResponse((r) => r.url().endsWith('/api/auth/refresh'));
  await thief.goto('/sessions');
  const answer = await refused;
  expect(answer.status()).toBe(401);
  expect(await answer.json()).toMatchObject({ code: 'session_revoked', reason: 'used_from_another_device' });
  await expect(thief).toHaveURL(/\/login/);
  await expect(thief.getByTestId('signed-in-as')).toHaveCount(0);

  // The victim's tab is signed out at its next call, with the reason in words.
  await victim.getByRole('link', { name: 'Activity' }).click();
  await expect(victim).toHaveURL(/reason=used_from_another_device/);
  const notice = victim.getByTestId('signed-out-reason');
  await expect(notice).toHaveAttribute('role', 'alert');
  await expect(notice).toContainText('its refresh token was used from another device');
  await expect(notice.getByRole('link', { name: 'Change your password' })).toHaveAttribute('href', '/account');

  // Signed in again, the devices page says how the old session ended.
  await signIn(victim, email);
  await victim.goto('/sessions');
  await expect(victim.getByTestId('ended-sessions').locator('[data-reason=used_from_another_device]')).toHaveText(
    'Signed out because its refresh token was used from another device \u2014 possible theft',
  );
  await victim.screenshot({ path: 'screenshots/sessions-after-a-copied-cookie.png', fullPage: true });
  await victimContext.close();
  await thiefContext.close();
});
