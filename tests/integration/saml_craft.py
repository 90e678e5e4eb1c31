"""Tampering with SAML responses for the ACS tests: signature wrapping (SAML Raider's XSW1-XSW8),
injected and look-alike assertions, and responses re-signed by the xmlsec1 CLI over templates
that carry a feature the ACS must refuse although the signature itself is valid.

xml.dom.minidom is used on purpose: it keeps prefixes, namespace declarations and attribute
order, so a signed element moved intact keeps its digest (ElementTree would rename prefixes
and break it).  Signed elements are moved or cloned, never re-serialised by hand.
"""

import base64
import os
import re
import subprocess
import tempfile
import xml.dom.minidom

NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
ALG = {
    "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
    "exc-c14n": "http://www.w3.org/2001/10/xml-exc-c14n#",
    "exc-c14n-comments": "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "enveloped": "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "xpath": "http://www.w3.org/TR/1999/REC-xpath-19991116",
    "xslt": "http://www.w3.org/TR/1999/REC-xslt-19991116",
}
IDENTITY_XSLT = ('<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">'
                 '<xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/>'
                 '</xsl:copy></xsl:template></xsl:stylesheet>')


def decode(b64):
    return base64.b64decode(b64)


def encode(raw):
    return base64.b64encode(raw if isinstance(raw, bytes) else raw.encode()).decode()


def parse(raw):
    return xml.dom.minidom.parseString(raw)


def dump(doc):
    """The document as bytes, without the XML declaration minidom would add."""
    return doc.documentElement.toxml().encode()


def first(node, ns, name):
    found = node.getElementsByTagNameNS(ns, name)
    return found[0] if found.length else None


def child(node, ns, name):
    """The first direct child element ns:name."""
    for c in node.childNodes:
        if c.nodeType == c.ELEMENT_NODE and c.namespaceURI == ns and c.localName == name:
            return c
    return None


def set_name_id(node, value):
    """The evil edit of every XSW variant: the identity the attacker wants (in this copy only)."""
    for n in node.getElementsByTagNameNS(NS_SAML, "NameID"):
        n.firstChild.data = value
    for v in node.getElementsByTagNameNS(NS_SAML, "AttributeValue"):
        if "@" in (v.firstChild.data if v.firstChild else ""):
            v.firstChild.data = value


def strip_signature(raw):
    """The response with every ds:Signature removed."""
    doc = parse(raw)
    for sig in list(doc.getElementsByTagNameNS(NS_DS, "Signature")):
        sig.parentNode.removeChild(sig)
    return dump(doc)


# ---- signature wrapping: SAML Raider's XSW1-XSW8 (helpers/XSWHelpers.java) --------------------

def xsw(n, raw, evil):
    """Apply XSWn to a response (XSW1-2 need a signed Response, XSW3-8 a signed Assertion); the
    identity the ACS would read from the attacker's copy is `evil`."""
    doc = parse(raw)
    {1: _xsw1, 2: _xsw2, 3: _xsw3, 4: _xsw4, 5: _xsw5, 6: _xsw6, 7: _xsw7, 8: _xsw8}[n](doc, evil)
    return dump(doc)


def _response_copy(doc, evil):
    """The signed Response cloned without its signature; the original becomes the evil one."""
    resp = doc.documentElement
    copy = resp.cloneNode(True)
    sig = child(copy, NS_DS, "Signature")
    copy.removeChild(sig)
    set_name_id(resp, evil)
    resp.setAttribute("ID", "_evil_response_ID")
    return resp, copy


def _xsw1(doc, evil):
    resp, copy = _response_copy(doc, evil)
    child(resp, NS_DS, "Signature").appendChild(copy)


def _xsw2(doc, evil):
    resp, copy = _response_copy(doc, evil)
    sig = child(resp, NS_DS, "Signature")
    resp.insertBefore(copy, sig)


def _assertion_parts(doc):
    a = first(doc, NS_SAML, "Assertion")
    return a, child(a, NS_DS, "Signature")


def _evil_copy(a, evil):
    e = a.cloneNode(True)
    e.removeChild(child(e, NS_DS, "Signature"))
    set_name_id(e, evil)
    e.setAttribute("ID", "_evil_assertion_ID")
    return e


def _xsw3(doc, evil):
    a, _ = _assertion_parts(doc)
    doc.documentElement.insertBefore(_evil_copy(a, evil), a)


def _xsw4(doc, evil):
    a, _ = _assertion_parts(doc)
    e = _evil_copy(a, evil)
    doc.documentElement.appendChild(e)
    e.appendChild(a)


def _original_copy(a):
    c = a.cloneNode(True)
    c.removeChild(child(c, NS_DS, "Signature"))
    return c


def _xsw5(doc, evil):
    a, _ = _assertion_parts(doc)
    orig = _original_copy(a)
    set_name_id(a, evil)
    doc.documentElement.appendChild(orig)
    a.setAttribute("ID", "_evil_assertion_ID")


def _xsw6(doc, evil):
    a, sig = _assertion_parts(doc)
    orig = _original_copy(a)
    set_name_id(a, evil)
    sig.appendChild(orig)
    a.setAttribute("ID", "_evil_assertion_ID")


def _xsw7(doc, evil):
    a, _ = _assertion_parts(doc)
    ext = doc.createElement("Extensions")
    doc.documentElement.insertBefore(ext, a)
    e = a.cloneNode(True)
    e.removeChild(child(e, NS_DS, "Signature"))
    set_name_id(e, evil)
    ext.appendChild(e)


def _xsw8(doc, evil):
    a, sig = _assertion_parts(doc)
    orig = _original_copy(a)
    set_name_id(a, evil)
    obj = doc.createElement("Object")
    sig.appendChild(obj)
    obj.appendChild(orig)


def inject_assertion(raw, evil, namespace=NS_SAML, before=False):
    """A second, unsigned Assertion (a copy of the signed one naming `evil`) added to the
    Response: after the signed one, or first (before=True).  With another namespace it is a
    look-alike (same prefix and local name, a namespace the SAML schema does not define)."""
    doc = parse(raw)
    a = first(doc, NS_SAML, "Assertion")
    text = a.toxml()
    text = re.sub(r"<ds:Signature.*</ds:Signature>", "", text, flags=re.S)
    text = text.replace(a.getAttribute("ID"), "_injected_assertion_ID")
    if namespace != NS_SAML:
        text = text.replace("<saml:Assertion ", f'<saml:Assertion xmlns:saml="{namespace}" ', 1)
    frag = parse(f'<w xmlns:saml="{NS_SAML}" xmlns:samlp="{NS_SAMLP}">{text}</w>').documentElement.firstChild
    set_name_id(frag, evil)
    node = doc.importNode(frag, True)
    if before:
        doc.documentElement.insertBefore(node, a)
    else:
        doc.documentElement.appendChild(node)
    return dump(doc)


# ---- re-signing over templates with the xmlsec1 CLI --------------------------------------------

def _transforms(names):
    out = []
    for t in names:
        if t == "xpath":
            out.append(f'<ds:Transform Algorithm="{ALG["xpath"]}"><ds:XPath>not(ancestor-or-self::ds:Signature)'
                       '</ds:XPath></ds:Transform>')
        elif t == "xslt":
            out.append(f'<ds:Transform Algorithm="{ALG["xslt"]}">{IDENTITY_XSLT}</ds:Transform>')
        else:
            out.append(f'<ds:Transform Algorithm="{ALG[t]}"/>')
    return "".join(out)


def signature_template(uris, sig="rsa-sha256", digest="sha256", c14n="exc-c14n",
                       transforms=("enveloped", "exc-c14n"), key_info="x509"):
    refs = "".join(f'<ds:Reference URI="{u}"><ds:Transforms>{_transforms(transforms)}</ds:Transforms>'
                   f'<ds:DigestMethod Algorithm="{ALG[digest]}"/><ds:DigestValue/></ds:Reference>' for u in uris)
    ki = {"x509": "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>", "keyvalue": "<ds:KeyInfo><ds:KeyValue/></ds:KeyInfo>",
          None: ""}[key_info]
    return (f'<ds:Signature xmlns:ds="{NS_DS}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{ALG[c14n]}"/>'
            f'<ds:SignatureMethod Algorithm="{ALG[sig]}"/>{refs}</ds:SignedInfo><ds:SignatureValue/>{ki}'
            '</ds:Signature>')


def sign_assertion(raw_unsigned, key_pem, cert_pem, uris=None, **template):
    """Sign the (only) Assertion of an unsigned response with xmlsec1 over a template (placed after
    the Assertion's Issuer, as the schema wants); uris default to ["#" + the Assertion's ID]."""
    doc = parse(raw_unsigned)
    a = first(doc, NS_SAML, "Assertion")
    uris = uris or ["#" + a.getAttribute("ID")]
    tmpl = parse(signature_template(uris, **template)).documentElement
    a.insertBefore(doc.importNode(tmpl, True), child(a, NS_SAML, "Issuer").nextSibling)
    return xmlsec_sign(dump(doc), key_pem, cert_pem)


def xmlsec_sign(raw, key_pem, cert_pem):
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("in.xml", "out.xml", "key.pem", "cert.pem")}
        for name, data in (("in.xml", raw), ("key.pem", key_pem.encode()), ("cert.pem", cert_pem.encode())):
            with open(paths[name], "wb") as f:
                f.write(data)
        r = subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{paths['key.pem']},{paths['cert.pem']}",
                            "--id-attr:ID", f"{NS_SAML}:Assertion", "--id-attr:ID", f"{NS_SAMLP}:Response",
                            "--output", paths["out.xml"], paths["in.xml"]], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"xmlsec1 --sign failed: {r.stderr[-800:]}")
        return open(paths["out.xml"], "rb").read()
