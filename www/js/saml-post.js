// The SAML HTTP-POST binding's page (GET /api/v1/sso/saml/{slug}/post):
// submit the server-rendered form to the identity provider at once.  A
// file, not an inline script, because the CSP allows no inline script; with
// scripts off the visible button does the same.
"use strict";

(function () {
  const form = document.getElementById("saml-post");
  if (form) {
    form.submit();
  }
})();
