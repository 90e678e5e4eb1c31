"""The test SAML IdP alone (tests/idp/saml.mjs via saml_idp.py): proof that the fixture the SAML
sign-in tests stand on does what saml_idp.py promises.  Its metadata parses and publishes the
signing certificate and both SSO bindings; it refuses an AuthnRequest from an SP it does not
know; each signing mode yields the signatures it names, and every one of them verifies with the
xmlsec1 CLI against the published certificate only (xml-crypto signed, libxmlsec1 checks);
the foreign key's signature does not verify with it; edits and the clock offset land in the
XML; the browser leg answers with a form that posts to the ACS with the RelayState echoed.
No onramp stack: the SP side is played here with a hand-made AuthnRequest."""

import base64
import datetime
import os
import re
import secrets
import shutil
import tempfile
import unittest
import urllib.parse
import xml.dom.minidom
import zlib

from oidc_op import OpError
import saml_craft
from saml_idp import SamlIdp, xmlsec_verify

SP_ENTITY = "https://rp.fixture.test/api/v1/sso/saml/acme"
ACS = SP_ENTITY + "/acs"
NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"


def authn_request(destination, issuer=SP_ENTITY, acs=ACS):
    rid = "_" + secrets.token_hex(32)
    xml_text = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
                f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{rid}" Version="2.0" '
                f'IssueInstant="2026-01-01T00:00:00Z" Destination="{destination}" '
                f'AssertionConsumerServiceURL="{acs}" '
                f'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
                f'<saml:Issuer>{issuer}</saml:Issuer><samlp:NameIDPolicy '
                f'Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>'
                f'</samlp:AuthnRequest>')
    return rid, xml_text


def redirect_url(destination, xml_text, relay):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = c.compress(xml_text.encode()) + c.flush()
    q = urllib.parse.urlencode({"SAMLRequest": base64.b64encode(raw).decode(), "RelayState": relay})
    return f"{destination}?{q}"


def signed_ids(doc):
    """IDs the Signature elements reference (by their parent), in document order."""
    out = []
    for sig in doc.getElementsByTagNameNS(NS_DS, "Signature"):
        ref = sig.getElementsByTagNameNS(NS_DS, "Reference")[0].getAttribute("URI")
        out.append((sig.parentNode.localName, ref, sig.parentNode.getAttribute("ID")))
    return out


class SamlIdpTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.mkdtemp(prefix="onramp-samlidp-")
        os.chmod(cls._tmp, 0o755)
        cls.idp = SamlIdp(cls._tmp).start()
        cls.idp.register_sp(entity_id=SP_ENTITY, acs=ACS)

    @classmethod
    def tearDownClass(cls):
        cls.idp.stop()
        shutil.rmtree(cls._tmp, ignore_errors=True)

    def setUp(self):
        self.idp.reset()

    def answer(self, **kw):
        rid, req = authn_request(self.idp.sso_url)
        relay = secrets.token_urlsafe(32)
        out = self.idp.response(redirect_url=redirect_url(self.idp.sso_url, req, relay), **kw)
        self.assertEqual(out["RelayState"], relay)
        self.assertEqual(out["acs"], ACS)
        self.assertEqual(out["request_id"], rid)
        return rid, base64.b64decode(out["SAMLResponse"])

    def test_metadata_publishes_cert_and_both_bindings(self):
        doc = xml.dom.minidom.parseString(self.idp.metadata())
        ed = doc.documentElement
        self.assertEqual((ed.namespaceURI, ed.localName), (NS_MD, "EntityDescriptor"))
        self.assertEqual(ed.getAttribute("entityID"), self.idp.entity_id)
        idp = ed.getElementsByTagNameNS(NS_MD, "IDPSSODescriptor")[0]
        self.assertEqual(idp.getAttribute("WantAuthnRequestsSigned"), "false")
        sso = {s.getAttribute("Binding").rsplit(":", 1)[1]: s.getAttribute("Location")
               for s in idp.getElementsByTagNameNS(NS_MD, "SingleSignOnService")}
        self.assertEqual(sso, {"HTTP-Redirect": self.idp.sso_url, "HTTP-POST": self.idp.sso_url})
        certs = [c.firstChild.data.strip() for c in doc.getElementsByTagNameNS(NS_DS, "X509Certificate")]
        pem_body = "".join(self.idp.cert_pem.strip().splitlines()[1:-1])
        self.assertIn(pem_body, ["".join(c.split()) for c in certs])
        self.assertNotIn("".join(self.idp.certs()["foreign"].strip().splitlines()[1:-1]), self.idp.metadata())

    def test_post_only_metadata(self):
        self.idp.set_post_only()
        self.assertNotIn("HTTP-Redirect", self.idp.metadata())
        self.assertIn("HTTP-POST", self.idp.metadata())

    def test_unknown_sp_refused(self):
        _, req = authn_request(self.idp.sso_url, issuer="https://stranger.example/sp")
        with self.assertRaises(OpError):
            self.idp.response(redirect_url=redirect_url(self.idp.sso_url, req, "r"))

    def test_each_signing_mode_verifies_with_xmlsec1(self):
        expect = {"assertion": ["Assertion"], "response": ["Response"], "both": ["Response", "Assertion"]}
        for mode, signed in expect.items():
            with self.subTest(mode=mode):
                rid, raw = self.answer(sign=mode)
                doc = xml.dom.minidom.parseString(raw)
                sigs = signed_ids(doc)
                self.assertEqual(sorted(s[0] for s in sigs), sorted(signed))
                for parent, ref, pid in sigs:
                    self.assertEqual(ref, "#" + pid)
                    ok, err = xmlsec_verify(raw, self.idp.cert_pem, pid, self._tmp)
                    self.assertTrue(ok, err)
                self.assertIn(f'InResponseTo="{rid}"', raw.decode())
                self.assertIn('rsa-sha256', raw.decode())
        _, raw = self.answer(sign="none")
        self.assertEqual(signed_ids(xml.dom.minidom.parseString(raw)), [])

    def test_tampered_response_does_not_verify(self):
        # The self-test's own control: xmlsec_verify can say no.
        _, raw = self.answer(sign="assertion")
        bad = raw.replace(b"user@idp.example", b"admin@idp.example")
        pid = signed_ids(xml.dom.minidom.parseString(raw))[0][2]
        self.assertFalse(xmlsec_verify(bad, self.idp.cert_pem, pid, self._tmp)[0])

    def test_foreign_key_signs_and_carries_its_cert(self):
        _, raw = self.answer(sign="assertion", key="foreign")
        pid = signed_ids(xml.dom.minidom.parseString(raw))[0][2]
        certs = self.idp.certs()
        self.assertFalse(xmlsec_verify(raw, certs["own"], pid, self._tmp)[0])
        ok, err = xmlsec_verify(raw, certs["foreign"], pid, self._tmp)
        self.assertTrue(ok, err)
        self.assertIn("".join(certs["foreign"].strip().splitlines()[1:-1]), raw.decode())

    def test_user_attributes_and_edits(self):
        self.idp.set_user("ann@acme.example", {"email": ["ann@acme.example"], "groups": ["g1", "g2", "g3"]})
        _, raw = self.answer(edit={"audience": None, "recipient": "https://elsewhere.example/acs",
                                   "status": "urn:oasis:names:tc:SAML:2.0:status:Requester"})
        doc = xml.dom.minidom.parseString(raw)
        ns = "urn:oasis:names:tc:SAML:2.0:assertion"
        self.assertEqual(doc.getElementsByTagNameNS(ns, "NameID")[0].firstChild.data, "ann@acme.example")
        groups = [a for a in doc.getElementsByTagNameNS(ns, "Attribute") if a.getAttribute("Name") == "groups"][0]
        self.assertEqual([v.firstChild.data for v in groups.getElementsByTagNameNS(ns, "AttributeValue")],
                         ["g1", "g2", "g3"])
        self.assertEqual(doc.getElementsByTagNameNS(ns, "Audience").length, 0)
        self.assertEqual(doc.getElementsByTagNameNS(ns, "SubjectConfirmationData")[0].getAttribute("Recipient"),
                         "https://elsewhere.example/acs")
        self.assertIn(b"status:Requester", raw)
        pid = signed_ids(doc)[0][2]
        self.assertTrue(xmlsec_verify(raw, self.idp.cert_pem, pid, self._tmp)[0])

    def test_name_id_xml_keeps_a_comment_under_a_valid_signature(self):
        _, raw = self.answer(edit={"name_id_xml": "admin@acme.example<!---->.evil.example"})
        self.assertIn(b"admin@acme.example<!---->.evil.example</saml:NameID>", raw)
        pid = signed_ids(xml.dom.minidom.parseString(raw))[0][2]
        self.assertTrue(xmlsec_verify(raw, self.idp.cert_pem, pid, self._tmp)[0])

    def test_clock_offset_moves_every_time(self):
        def times(raw):
            return [datetime.datetime.fromisoformat(t.decode().replace("Z", "+00:00"))
                    for t in re.findall(rb'NotOnOrAfter="([^"]+)"', raw)]
        _, now = self.answer()
        self.idp.set_clock_offset(3600)
        _, later = self.answer()
        self.assertEqual(len(times(now)), 2)
        for a, b in zip(times(now), times(later)):
            self.assertAlmostEqual((b - a).total_seconds(), 3600, delta=30)

    def test_unsolicited_has_no_in_response_to(self):
        out = self.idp.response(sp=SP_ENTITY, relay_state=None)
        raw = base64.b64decode(out["SAMLResponse"])
        self.assertNotIn(b"InResponseTo", raw)
        self.assertIsNone(out["request_id"])

    def test_browser_leg_posts_to_the_acs(self):
        rid, req = authn_request(self.idp.sso_url)
        relay = secrets.token_urlsafe(32)
        before = self.idp.stats()["authn_requests"]
        form = self.idp.follow(redirect_url(self.idp.sso_url, req, relay))
        self.assertEqual(form["action"], ACS)
        self.assertEqual(form["RelayState"], relay)
        self.assertIn(f'InResponseTo="{rid}"'.encode(), base64.b64decode(form["SAMLResponse"]))
        st = self.idp.stats()
        self.assertEqual(st["authn_requests"], before + 1)
        self.assertEqual(st["last_request"]["id"], rid)
        self.assertEqual(st["last_request"]["acs"], ACS)


class CraftTests(unittest.TestCase):
    """The tampering helpers of test_sso_saml (saml_craft.py): each attack keeps a signature that a
    naive verifier accepts (so the ACS's refusal is the wrapping's, not a broken digest), and each
    crafted template signs into a signature xmlsec1 itself accepts."""

    @classmethod
    def setUpClass(cls):
        SamlIdpTests.setUpClass.__func__(cls)
        cls.certs = cls.idp.certs()

    @classmethod
    def tearDownClass(cls):
        SamlIdpTests.tearDownClass.__func__(cls)

    answer = SamlIdpTests.answer

    def test_xsw_variants_move_the_signed_element_intact(self):
        for n in range(1, 9):
            with self.subTest(xsw=n):
                _, raw = self.answer(sign="response" if n <= 2 else "assertion")
                sig = re.search(rb"<ds:Signature.*?</ds:Signature>", raw, re.S).group(0)
                signed_id = re.search(rb'Reference URI="#([^"]+)"', sig).group(1)
                out = saml_craft.xsw(n, raw, "evil@attacker.example")
                self.assertIn(b"evil@attacker.example", out)
                self.assertIn(b"user@idp.example", out)
                # The IdP's SignedInfo and SignatureValue are still there, byte for byte, and the
                # element they sign still exists unchanged (by its ID) beside the attacker's copy.
                for part in (b"SignedInfo", b"SignatureValue"):
                    self.assertIn(re.search(rb"<ds:%s.*?</ds:%s>" % (part, part), sig, re.S).group(0), out)
                self.assertIn(b'ID="' + signed_id + b'"', out)
                self.assertTrue(b"_evil_" in out or out.count(b'ID="' + signed_id + b'"') == 2)

    def test_templates_sign_valid(self):
        _, raw = self.answer(sign="none")
        a_id = re.search(rb'<saml:Assertion[^>]* ID="([^"]+)"', raw).group(1).decode()
        cases = {
            "xpath": dict(transforms=("xpath", "exc-c14n")),
            "xslt": dict(transforms=("enveloped", "xslt")),
            "sha1": dict(sig="rsa-sha1", digest="sha1"),
            "comments": dict(c14n="exc-c14n-comments", transforms=("enveloped", "exc-c14n-comments")),
            "two_refs": dict(uris=["#" + a_id, "#" + a_id]),
            "empty_uri": dict(uris=[""]),
            "keyvalue": dict(key_info="keyvalue"),
        }
        for name, kw in cases.items():
            with self.subTest(name):
                out = saml_craft.sign_assertion(raw, self.certs["own_key"], self.certs["own"], **kw)
                ok, err = xmlsec_verify(out, self.certs["own"], None, self._tmp)
                self.assertTrue(ok, f"{name}: {err}")
        # Control: a signature by the foreign key does not verify with the published certificate.
        out = saml_craft.sign_assertion(raw, self.certs["foreign_key"], self.certs["foreign"])
        self.assertFalse(xmlsec_verify(out, self.certs["own"], None, self._tmp)[0])

    def test_injected_assertions(self):
        _, raw = self.answer(sign="assertion")
        for before, ns in ((False, saml_craft.NS_SAML), (True, "urn:evil:look-alike")):
            out = saml_craft.inject_assertion(raw, "evil@attacker.example", namespace=ns, before=before)
            doc = saml_craft.parse(out)
            names = [(a.namespaceURI, a.getAttribute("ID")) for a in doc.getElementsByTagNameNS("*", "Assertion")]
            self.assertEqual(len(names), 2)
            self.assertEqual(names[0 if before else 1], (ns, "_injected_assertion_ID"))
            self.assertTrue(xmlsec_verify(out, self.certs["own"], None, self._tmp)[0])
