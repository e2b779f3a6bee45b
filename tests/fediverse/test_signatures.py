"""Cavage HTTP Signatures (fediverse/signatures.py), checked against the independent
implementation in `cavage`: each signs what the other verifies, and every refusal has its
code."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from httpsig import HeaderSigner

from fediverse import cavage
from p2pvalue.errors import P2PError
from p2pvalue.fediverse.signatures import (
    Signature,
    check_request,
    digest,
    http_date,
    parse_signature,
    request_target,
    sign,
    signing_string,
    verify,
)

URL = "https://node.example/ap/spaces/s1/inbox"
TARGET = "post /ap/spaces/s1/inbox"
BODY = b'{"type":"Follow"}'
KEY = cavage.new_key()
OTHER = cavage.new_key()
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _theirs(covered: tuple[str, ...] | None = None) -> dict[str, str]:
    signed = cavage.sign_request(KEY, "https://m.example/users/a#main-key", "POST", URL, BODY,
                                 date=NOW.timestamp(), covered=covered)  # fmt: skip
    return _lower(signed)


def _refusal(headers: dict[str, str], body: bytes = BODY) -> tuple[str, int]:
    with pytest.raises(P2PError) as refused:
        check_request("POST", TARGET, headers, body, NOW)
    return refused.value.code, refused.value.status


def test_what_we_sign_the_independent_verifier_accepts() -> None:
    headers = sign(KEY, "https://node.example/ap/spaces/s1#main-key", "POST",
                   "https://m.example/inbox?x=1", BODY, datetime.now(UTC))  # fmt: skip
    assert set(headers) == {"Host", "Date", "Digest", "Signature"}
    assert headers["Host"] == "m.example"
    assert headers["Digest"] == cavage.sha256_digest(BODY)
    problem = cavage.check_signature("POST", "/inbox?x=1", headers, BODY, cavage.pem_of(KEY),
                                     cavage.REQUIRED_POST)  # fmt: skip
    assert problem is None


def test_a_get_is_signed_without_a_digest() -> None:
    headers = sign(KEY, "https://node.example/ap/actor#main-key", "GET",
                   "https://m.example/users/a", None, datetime.now(UTC))  # fmt: skip
    assert "Digest" not in headers
    assert 'headers="(request-target) host date"' in headers["Signature"]
    problem = cavage.check_signature("GET", "/users/a", headers, None, cavage.pem_of(KEY),
                                     cavage.REQUIRED_GET)  # fmt: skip
    assert problem is None


def test_what_the_independent_signer_signs_we_verify() -> None:
    headers = _theirs()
    signature = check_request("POST", TARGET, headers, BODY, NOW)
    assert (signature.key_id, signature.algorithm) == (
        "https://m.example/users/a#main-key", "rsa-sha256")  # fmt: skip
    assert signature.headers == ("(request-target)", "host", "date", "digest")
    assert verify(signature, TARGET, headers, KEY.public_key())
    assert not verify(signature, TARGET, headers, OTHER.public_key())
    assert not verify(signature, "post /ap/inbox", headers, KEY.public_key())
    assert not verify(signature, TARGET, {**headers, "host": "evil.example"}, KEY.public_key())


def test_hs2019_with_created_is_verified_with_the_rsa_key() -> None:
    created = int(NOW.timestamp())
    headers = {"host": "node.example", "date": http_date(NOW), "digest": digest(BODY)}
    names = ("(request-target)", "(created)", "host", "date", "digest")
    shape = Signature("k", "hs2019", names, b"", created=created)
    text = signing_string(TARGET, headers, names, shape)
    raw = KEY.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="k",algorithm="hs2019",created={created},headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(raw).decode()}"'
    )
    signature = check_request("POST", TARGET, headers, BODY, NOW)
    assert signature.created == created
    assert verify(signature, TARGET, headers, KEY.public_key())


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("keyId=k", "not a list"),
        ('algorithm="rsa-sha256",headers="date",signature="AA=="', "no keyId"),
        ('keyId="k",algorithm="hmac-sha256",headers="date",signature="AA=="', "hmac-sha256"),
        ('keyId="k",algorithm="rsa-sha256",headers="date",signature="!!"', "not base64"),
    ],
)
def test_a_malformed_signature_header_is_refused(header: str, message: str) -> None:
    with pytest.raises(P2PError) as refused:
        parse_signature(header)
    assert (refused.value.code, refused.value.status) == ("bad_activity_signature", 401)
    assert message in refused.value.message


def test_a_key_id_may_hold_commas_and_params_may_be_spaced() -> None:
    parsed = parse_signature('keyId="https://a.example/k,1" , headers="date", signature="AA=="')
    assert (parsed.key_id, parsed.algorithm, parsed.signature) == (
        "https://a.example/k,1", "hs2019", b"\x00")  # fmt: skip


def test_each_refusal_has_its_code() -> None:
    headers = _theirs()
    assert _refusal({k: v for k, v in headers.items() if k != "signature"}) == (
        "unsigned_activity", 401)  # fmt: skip
    assert _refusal(_theirs(covered=("(request-target)", "host", "date"))) == (
        "incomplete_signature", 401)  # fmt: skip
    assert _refusal({k: v for k, v in headers.items() if k != "digest"}) == (
        "incomplete_signature", 401)  # fmt: skip
    assert _refusal(headers, BODY + b" ") == ("digest_mismatch", 400)
    assert _refusal({**headers, "digest": "MD5=abc"}) == ("digest_mismatch", 400)
    assert _refusal({**headers, "date": "yesterday"}) == ("stale_activity", 401)
    late = format_datetime(NOW - timedelta(seconds=301), usegmt=True)
    early = format_datetime(NOW + timedelta(seconds=301), usegmt=True)
    assert _refusal({**headers, "date": late}) == ("stale_activity", 401)
    assert _refusal({**headers, "date": early}) == ("stale_activity", 401)


def test_a_date_within_five_minutes_is_fresh() -> None:
    for seconds in (-299, 299):
        when = format_datetime(NOW + timedelta(seconds=seconds), usegmt=True)
        assert check_request("POST", TARGET, {**_theirs(), "date": when}, BODY, NOW)


def test_request_target_and_dates_are_written_as_the_draft_says() -> None:
    assert request_target("POST", "https://a.example/inbox?x=1&y=2") == "post /inbox?x=1&y=2"
    assert request_target("GET", "https://a.example") == "get /"
    assert http_date(NOW) == "Wed, 01 May 2024 12:00:00 GMT"
    assert digest(b"") == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_a_signature_over_a_missing_header_does_not_verify() -> None:
    signature = Signature("k", "rsa-sha256", ("(request-target)", "x-missing"), b"\x00")
    assert not verify(signature, TARGET, {}, rsa.generate_private_key(65537, 2048).public_key())


def _httpsig(date: datetime, headers: tuple[str, ...] = cavage.REQUIRED_POST,
             algorithm: str = "rsa-sha256") -> dict[str, str]:  # fmt: skip
    """A request signed by the `httpsig` library (an implementation of the cavage draft)."""
    pem = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    signer = HeaderSigner("https://m.example/users/a#main-key", pem, algorithm=algorithm,
                          headers=list(headers), sign_header="signature")  # fmt: skip
    sent = {"Host": "node.example", "Date": format_datetime(date, usegmt=True),
            "Digest": digest(BODY)}  # fmt: skip
    signed: dict[str, str] = signer.sign(sent, method="POST", path="/ap/spaces/s1/inbox")
    return _lower(signed)


def test_what_httpsig_signs_we_verify() -> None:
    headers = _httpsig(NOW)
    signature = check_request("POST", TARGET, headers, BODY, NOW)
    assert (signature.key_id, signature.algorithm) == (
        "https://m.example/users/a#main-key", "rsa-sha256")  # fmt: skip
    assert verify(signature, TARGET, headers, KEY.public_key())
    assert not verify(signature, TARGET, headers, OTHER.public_key())
    assert not verify(signature, TARGET.replace("s1", "s2"), headers, KEY.public_key())


def test_httpsig_requests_are_refused_with_their_codes() -> None:
    assert _refusal(_httpsig(NOW), BODY + b" ") == ("digest_mismatch", 400)
    assert _refusal(_httpsig(NOW - timedelta(minutes=6))) == ("stale_activity", 401)
    partial = _httpsig(NOW, ("(request-target)", "host", "date"))
    assert _refusal(partial) == ("incomplete_signature", 401)
    assert _refusal(_httpsig(NOW, algorithm="rsa-sha512")) == ("bad_activity_signature", 401)
