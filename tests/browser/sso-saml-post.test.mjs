/*
 * sso-saml-post.test.mjs — the SAML HTTP-POST binding's page in headless
 * Chromium, under the site's real CSP (no inline script, form-action):
 *
 *  a customer admin validates a SAML draft whose IdP offers only HTTP-POST
 *  (the corpus's Okta metadata without its Redirect endpoint) and starts a
 *  test sign-in; Chromium opens onramp's POST page, /js/saml-post.js submits
 *  its form, and the IdP receives a POST with SAMLRequest and RelayState.
 *
 * The IdP's host is not reached: Playwright answers its URL (page.route), and
 * only a request the browser actually sends gets there, so a CSP that blocked
 * the script or the form's target fails this test. The full sign-in through a
 * real SAML IdP is sso-saml.test.mjs's.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedCustomer, signInCustomer, suite, unique } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OKTA = readFileSync(join(HERE, '..', 'corpus', 'saml', 'okta_trial-1022863_idp-metadata.xml'), 'utf8');
const POST_ONLY = OKTA.replace(/<md:SingleSignOnService Binding="[^"]*HTTP-Redirect"[^>]*\/>/, '');
const IDP_SSO = 'https://trial-1022863.okta.com/app/trial-1022863_oktalocalhostbis_1/exkdoocxa1VmjpXmX697/sso/saml';

const tag = unique('samlpost');
const PW = 'Granite-Harbor-Willow-2041';
const cust = {
  slug: `${tag}-c`,
  name: `SAML POST ${tag}`,
  admin: { username: `${tag}-admin`, role: 'customer_admin', password: PW },
};

const { publicUrl, load } = suite({
  seed: () => seedCustomer({ slug: cust.slug, name: cust.name, seats: 10, users: [cust.admin] }),
});

/** Validate a SAML draft holding `xml` and start a test sign-in, as the console's API calls do. */
async function startSamlTest(page, xml, domain) {
  return page.evaluate(async ({ xml, domain }) => {
    const call = async (method, path, csrf, body) => {
      const r = await fetch(`/api/v1${path}`, {
        method, headers: { 'Content-Type': 'application/json', ...(csrf ? { 'X-CSRF-Token': csrf } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, json: r.status === 204 ? null : await r.json() };
    };
    const csrf = (await call('GET', '/session')).json.csrf_token;
    const { version } = (await call('GET', '/sso')).json;
    const put = await call('PUT', '/sso', csrf, { protocol: 'saml', metadata_xml: xml, email_domains: [domain], version });
    if (put.status !== 200) return { step: 'put', ...put };
    let job = (await call('POST', '/sso/validate', csrf)).json.validation;
    for (let i = 0; i < 300 && !['done', 'failed'].includes(job.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await call('GET', `/sso/validations/${job.id}`)).json;
    }
    if (!job.report?.ok) return { step: 'validate', job };
    return { step: 'tests', ...(await call('POST', '/sso/tests', csrf)) };
  }, { xml, domain });
}

describe('SAML HTTP-POST binding', () => {
  test('the POST page submits the AuthnRequest to the IdP under the site CSP', async () => {
    const { page, problems } = await load(`${publicUrl}/`);
    await signInCustomer(page, cust.admin.username, PW);
    const started = await startSamlTest(page, POST_ONLY, `${tag}.example`);
    assert.equal(started.status, 201, JSON.stringify(started));
    const url = started.json.redirect_url;
    assert.match(url, new RegExp(`^${publicUrl}/api/v1/sso/saml/${cust.slug}/post\\?RelayState=`));

    const received = [];
    await page.route('https://trial-1022863.okta.com/**', (route) => {
      const req = route.request();
      received.push({ url: req.url(), method: req.method(), body: req.postData() || '' });
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>IdP</title><p>IdP reached</p>' });
    });
    await page.goto(url);
    await page.getByText('IdP reached').waitFor({ timeout: 10_000 });

    assert.equal(received.length, 1, JSON.stringify(received));
    assert.equal(received[0].url, IDP_SSO);
    assert.equal(received[0].method, 'POST');
    const form = new URLSearchParams(received[0].body);
    assert.deepEqual([...form.keys()].sort(), ['RelayState', 'SAMLRequest']);
    assert.equal(form.get('RelayState'), new URL(url).searchParams.get('RelayState'));
    const xml = Buffer.from(form.get('SAMLRequest'), 'base64').toString('utf8');
    assert.match(xml, /^<samlp:AuthnRequest [^>]*ID="_[0-9a-f]{64}"/);
    assert.match(xml, new RegExp(`AssertionConsumerServiceURL="${publicUrl}/api/v1/sso/saml/${cust.slug}/acs"`));
    assert.deepEqual(problems, []);
  });
});
