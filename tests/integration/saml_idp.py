"""The test SAML identity provider (tests/idp/saml.mjs, npm `samlify`) driven from Python.

One Node process per test class, on loopback HTTPS with a throw-away CA (the same plumbing as
the test OP in oidc_op.py: `config()` maps the host name to 127.0.0.1 for onramp's fetcher and
trusts the CA; `chromium_args()` does the same for Chromium).  Entity ID and metadata URL
`https://saml-idp.fixture.test:<port>/metadata`, SSO service `.../sso` (HTTP-Redirect and
HTTP-POST; `set_post_only()` publishes POST only).  The signing certificate is generated at
start (RSA 2048, SHA-256) and published in the metadata; a second "foreign" key is never
published.

    idp = SamlIdp(base_dir).start()
    st = Env.new_stack(extra_config=dict(..., **idp.config()))
    idp.register_sp(metadata_url=f"{st.public_url}/api/v1/sso/saml/acme/metadata")
    idp.set_user("ann@acme.example", {"email": ["ann@acme.example"], "groups": ["a", "b"]})
    out = idp.response(redirect_url=start_json["redirect_url"], sign="both",
                       edit={"audience": None, "not_on_or_after": "2001-01-01T00:00:00Z"})
    # out = {"SAMLResponse": base64, "RelayState": ..., "acs": ..., "request_id": ...}
    page = idp.follow(redirect_url)   # the browser leg: the auto-post form's action and fields

Control calls (POST /__test/<name>, loopback only):
- `user`      {name_id, name_id_format?, attributes: {name: [values]}}: who signs in next.
- `sign`      {mode: assertion | response | both | none}: the default signing of responses.
- `sp`        {metadata_url} | {metadata_xml} | {entity_id, acs}: register an SP (an
              AuthnRequest from an unregistered Issuer is refused, as a real IdP does).
- `response`  {redirect_url} | {saml_request, relay_state} | {sp, relay_state} (unsolicited),
              plus sign (mode), key ("own" | "foreign": signed by a key the metadata does not
              publish, its certificate in KeyInfo) and edit: {name: value} over the template's
              values (id, assertion_id, issue_instant, destination, in_response_to, issuer,
              assertion_issuer, status, name_id, name_id_format, name_id_xml (raw XML, e.g. a
              comment), sc_in_response_to, recipient, sc_not_on_or_after, not_before,
              not_on_or_after, audience, authn_instant, session_index, attributes); null
              removes the attribute or element.  Returns the POST the browser would make.
- `clock`     {offset}: seconds added to every time the IdP writes (a stack's clock_offset()).
- `post_only` {post_only}: the metadata lists only the HTTP-POST SSO service.
- `reset`, `stats` ({authn_requests, bindings[], last_request{id, issuer, acs, destination,
              binding, relay_state, xml}, responses}), `certs` ({own, own_key, foreign, foreign_key} PEM).
"""

import html.parser
import os
import subprocess
import urllib.parse

from oidc_op import OidcOp, OpError

IDP_HOST = "saml-idp.fixture.test"


class SamlIdp(OidcOp):
    """The SAML IdP process; TLS, fetch settings and Chromium flags are the OP's (host differs)."""
    host = IDP_HOST

    def __init__(self, base, fixture=None):
        super().__init__(base, fixture=fixture)
        self.base = self.base.replace("oidc-op-", "saml-idp-")
        self.entity_id = f"https://{self.host}:{self.port}/metadata"
        self.metadata_url = self.entity_id
        self.sso_url = f"https://{self.host}:{self.port}/sso"
        self.sps = []

    def start(self):
        cert, key = self._prepare("samlify")
        keys = os.path.join(self.base, "keys")
        os.makedirs(keys, exist_ok=True)
        conf = {"port": self.port, "base_url": f"https://{self.host}:{self.port}", "entity_id": self.entity_id,
                "cert": cert, "key": key, "dir": keys,
                "default_user": {"name_id": "user@idp.example", "attributes": {"email": ["user@idp.example"]}}}
        self._launch("saml", conf, "the test SAML IdP")
        self.cert_pem = self.certs()["own"]
        return self

    # ---- control ------------------------------------------------------------
    def metadata(self):
        status, hdrs, body = self.request("GET", "/metadata")
        if status != 200:
            raise OpError(f"GET /metadata: {status}")
        return body.decode()

    def set_user(self, name_id, attributes=None, name_id_format=None):
        """Who the next sign-in is: NameID and attributes ({name: [values]})."""
        body = {"name_id": name_id, "attributes": attributes or {}}
        if name_id_format:
            body["name_id_format"] = name_id_format
        self._control("user", body)

    def set_signing(self, mode):
        """assertion, response, both or none: how later responses are signed by default."""
        self._control("sign", {"mode": mode})

    def register_sp(self, metadata_url=None, metadata_xml=None, entity_id=None, acs=None):
        """Register an SP (kept across reset()); returns {entity_id, acs, want_assertions_signed}."""
        body = {k: v for k, v in (("metadata_url", metadata_url), ("metadata_xml", metadata_xml),
                                  ("entity_id", entity_id), ("acs", acs)) if v}
        self.sps.append(body)
        return self._control("sp", body)

    def response(self, redirect_url=None, saml_request=None, relay_state=None, sp=None, sign=None,
                 key=None, edit=None):
        """A response to the AuthnRequest in redirect_url (or the POST-binding saml_request, or
        unsolicited for the SP entity ID sp), signed as asked and edited first."""
        body = {"redirect_url": redirect_url, "saml_request": saml_request, "relay_state": relay_state,
                "sp": sp, "sign": sign, "key": key, "edit": edit}
        return self._control("response", {k: v for k, v in body.items() if v is not None})

    def set_clock_offset(self, seconds):
        self._control("clock", {"offset": int(seconds)})

    def set_post_only(self, post_only=True):
        self._control("post_only", {"post_only": post_only})

    def reset(self):
        """Default user, assertion signing, no clock offset; registered SPs stay."""
        self._control("reset")

    def certs(self):
        return self._control("certs")

    # ---- the browser leg ------------------------------------------------------
    def follow(self, redirect_url=None, saml_request=None, relay_state=None):
        """Send the AuthnRequest like a browser (GET the Redirect-binding URL, or POST the
        POST-binding form) and read the auto-post page: {action, SAMLResponse, RelayState};
        OpError when the IdP refuses the request."""
        if redirect_url:
            u = urllib.parse.urlsplit(redirect_url)
            status, _, body = self.request("GET", u.path + ("?" + u.query if u.query else ""))
        else:
            form = {"SAMLRequest": saml_request, **({"RelayState": relay_state} if relay_state else {})}
            status, _, body = self.request("POST", "/sso", urllib.parse.urlencode(form).encode(),
                                           {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 200:
            raise OpError(f"the IdP answered {status}: {body[:300]!r}")
        return read_form(body.decode())


class _FormReader(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.form = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.form["action"] = a.get("action")
        elif tag == "input" and a.get("name"):
            self.form[a["name"]] = a.get("value")


def read_form(page):
    """{action, and each input's name: value} of an HTML page holding one form."""
    r = _FormReader()
    r.feed(page)
    return r.form


def xmlsec_verify(xml, cert_pem, node_id=None, base=None):
    """(ok, xmlsec1's stderr): verify the signature over `node_id` (the element with that ID
    attribute; default the first signature) with only the given certificate, by the xmlsec1
    CLI: a verifier apart from the xml-crypto that signed."""
    import tempfile
    with tempfile.TemporaryDirectory(dir=base) as d:
        doc, cert = os.path.join(d, "doc.xml"), os.path.join(d, "cert.pem")
        with open(doc, "wb") as f:
            f.write(xml if isinstance(xml, bytes) else xml.encode())
        with open(cert, "w") as f:
            f.write(cert_pem)
        cmd = ["xmlsec1", "--verify", "--enabled-key-data", "x509", "--pubkey-cert-pem", cert,
               "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
               "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"]
        if node_id:
            cmd += ["--node-xpath", f"//*[@ID='{node_id}']/*[local-name()='Signature']"]
        r = subprocess.run(cmd + [doc], capture_output=True, text=True)
        return r.returncode == 0, r.stderr
