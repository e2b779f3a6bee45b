"""RFC 9421 signatures at the inbox (fediverse/message_signatures.py), on requests signed
by `http-message-signatures` as a fediverse server sends them: each refusal has its code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fediverse import cavage, rfc9421
from p2pvalue.errors import P2PError
from p2pvalue.fediverse.message_signatures import check_message, verify_message

URL = "https://node.example/ap/spaces/s1/inbox"
KEY_ID = "https://m.example/users/a#main-key"
BODY = b'{"type":"Follow"}'
KEY = cavage.new_key()
OTHER = cavage.new_key()
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _signed(key: object = KEY, **options: object) -> dict[str, str]:
    headers = rfc9421.sign_request(KEY if key is None else key, KEY_ID, "POST", URL, BODY,  # type: ignore[arg-type]
                                   created=options.pop("created", NOW), **options)  # type: ignore[arg-type]  # fmt: skip
    return {name.lower(): value for name, value in headers.items()}


def _refusal(headers: dict[str, str], body: bytes = BODY) -> tuple[str, int]:
    with pytest.raises(P2PError) as refused:
        check_message(headers, body, NOW)
    return refused.value.code, refused.value.status


@pytest.mark.parametrize("pss", [False, True])
def test_what_the_library_signs_we_verify(pss: bool) -> None:
    headers = _signed(pss=pss)
    signature = check_message(headers, BODY, NOW)
    assert (signature.label, signature.key_id) == ("sig1", KEY_ID)
    assert signature.algorithm == ("rsa-pss-sha512" if pss else "rsa-v1_5-sha256")
    assert signature.created == int(NOW.timestamp())
    assert verify_message(signature, "POST", URL, headers, KEY.public_key())


def test_a_forged_or_misdirected_signature_does_not_verify() -> None:
    headers = _signed(OTHER)
    signature = check_message(headers, BODY, NOW)
    assert not verify_message(signature, "POST", URL, headers, KEY.public_key())
    ours = _signed()
    signature = check_message(ours, BODY, NOW)
    assert not verify_message(signature, "POST", URL.replace("s1", "s2"), ours, KEY.public_key())
    assert not verify_message(signature, "PUT", URL, ours, KEY.public_key())


def test_authority_and_path_may_stand_for_the_target_uri() -> None:
    headers = _signed(covered=("@method", "@authority", "@path", "content-digest"))
    signature = check_message(headers, BODY, NOW)
    assert verify_message(signature, "POST", URL, headers, KEY.public_key())


def test_each_refusal_has_its_code() -> None:
    assert _refusal(_signed(), BODY + b" ") == ("digest_mismatch", 400)
    assert _refusal({**_signed(), "content-digest": "sha-256=:AAAA:"}) == ("digest_mismatch", 400)
    no_digest = {k: v for k, v in _signed().items() if k != "content-digest"}
    assert _refusal(no_digest) == ("digest_mismatch", 400)
    assert _refusal(_signed(created=NOW - timedelta(minutes=6))) == ("stale_activity", 401)
    assert _refusal(_signed(created=NOW + timedelta(minutes=6))) == ("stale_activity", 401)
    uncovered = _signed(covered=("@method", "@target-uri"))
    assert _refusal(uncovered) == ("incomplete_signature", 401)
    no_method = _signed(covered=("@target-uri", "content-digest"))
    assert _refusal(no_method) == ("incomplete_signature", 401)
    assert _refusal({**_signed(), "signature-input": "sig1=nonsense("}) == (
        "bad_activity_signature", 401)  # fmt: skip
    other_label = {**_signed(), "signature": _signed()["signature"].replace("sig1=", "sig2=")}
    assert _refusal(other_label) == ("bad_activity_signature", 401)
    hmac = _signed()
    hmac["signature-input"] = hmac["signature-input"] + ';alg="hmac-sha256"'
    assert _refusal(hmac) == ("bad_activity_signature", 401)
    no_key = _signed()
    no_key["signature-input"] = no_key["signature-input"].split(";keyid=")[0]
    assert _refusal(no_key) == ("bad_activity_signature", 401)


def test_a_signature_within_five_minutes_is_fresh() -> None:
    for minutes in (-4.9, 4.9):
        headers = _signed(created=NOW + timedelta(minutes=minutes))
        assert check_message(headers, BODY, NOW).key_id == KEY_ID
