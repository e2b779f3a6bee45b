"""Signed requests between nodes (federation/signatures.py): RFC vectors, refusals, HTTP."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from p2pvalue.errors import P2PError
from p2pvalue.events.keys import KeyPair, did_from_public, public_from_did
from p2pvalue.federation.signatures import (
    CLOCK_SKEW,
    MAX_AGE,
    NONCE_STATE,
    NodeAuth,
    NonceCache,
    SignedSender,
    content_digest,
    sign_request,
    signature_base,
    signature_matches,
    verify_request,
)
from serving import loopback, served

# RFC 9421 Appendix B.1.4, test-key-ed25519: the PKCS#8 private and SPKI public keys as
# printed there (each ends in the raw 32 bytes), and the JWK form of the same pair.
RFC_PRIVATE_PEM = "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF"
RFC_PUBLIC_PEM = "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs="
RFC_JWK_D = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU="
RFC_JWK_X = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs="
RFC_SEED = base64.b64decode(RFC_PRIVATE_PEM)[-32:]
RFC_PUBLIC = base64.b64decode(RFC_PUBLIC_PEM)[-32:]

# RFC 9421 Appendix B.2, the test request, and B.2.6, signing it with test-key-ed25519.
RFC_URL = "https://example.com/foo?param=Value&Pet=dog"
RFC_BODY = b'{"hello": "world"}'
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNye"
    "aldVLvRwEmTHWXvJwew==:",
    "Content-Length": "18",
}
RFC_COMPONENTS = ("date", "@method", "@path", "@authority", "content-type", "content-length")
RFC_PARAMS = (
    '("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    f'"@signature-params": {RFC_PARAMS}'
).encode()
RFC_SIGNATURE = (
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
)

ALICE = KeyPair(bytes(range(32)))
MALLORY = KeyPair(bytes(range(1, 33)))
NOW = 1_800_000_000
URL = "https://node-b.example/communities/c1/events?since=4"
BODY = b'{"events": []}'
HEADERS = {"Host": "node-b.example", "Content-Type": "application/json"}
JSON = {"Content-Type": "application/json"}
INBOX = "/communities/c1/events"
STARTUP_SECONDS = 10


def signed(
    key: KeyPair = ALICE, *, created: int = NOW, nonce: str | None = None, lifetime: int = MAX_AGE
) -> dict[str, str]:
    """HEADERS and BODY for URL, signed by `key` as `sign_request` does."""
    return sign_request(
        key, "POST", URL, HEADERS, BODY, created=created, nonce=nonce, lifetime=lifetime
    )


def verify(
    headers: dict[str, str],
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    now: float = NOW,
    cache: NonceCache | None = None,
) -> str:
    seen = NonceCache() if cache is None else cache
    return verify_request(method, url, headers, body, now=now, seen_nonces=seen)


def refusal(
    headers: dict[str, str],
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    now: float = NOW,
    cache: NonceCache | None = None,
) -> tuple[str, int]:
    """The code and status with which `verify` refuses the request."""
    with pytest.raises(P2PError) as caught:
        verify(headers, method=method, url=url, body=body, now=now, cache=cache)
    return caught.value.code, caught.value.status


FULL = ("@method", "@authority", "@path", "@query", "content-type", "content-digest")


def crafted(
    components: tuple[str, ...], *, nonce: str | None = "n-1", digest: str = content_digest(BODY)
) -> dict[str, str]:
    """HEADERS with `digest`, signed by ALICE over exactly `components`, in the profile's tag."""
    headers = {**HEADERS, "Content-Digest": digest}
    signable = signature_base(
        "POST", URL, headers, components=components, keyid=ALICE.did, created=NOW,
        nonce=nonce, tag="p2pvalue",
    )  # fmt: skip
    signature = base64.b64encode(ALICE.sign(signable.base)).decode()
    return {**headers, "Signature-Input": f"x={signable.params}", "Signature": f"x=:{signature}:"}


# --- RFC 9421 and RFC 9530 vectors ---------------------------------------------------------


def test_rfc_test_key_pem_and_jwk_forms_are_one_key_pair() -> None:
    assert base64.urlsafe_b64decode(RFC_JWK_D) == RFC_SEED
    assert base64.urlsafe_b64decode(RFC_JWK_X) == RFC_PUBLIC
    assert KeyPair(RFC_SEED).did == did_from_public(RFC_PUBLIC)


def test_signature_base_is_rfc9421_b26_byte_for_byte() -> None:
    signable = signature_base(
        "POST", RFC_URL, RFC_HEADERS, components=RFC_COMPONENTS, keyid="test-key-ed25519",
        created=1618884473, with_alg=False,
    )  # fmt: skip
    assert signable.base == RFC_BASE
    assert signable.params == RFC_PARAMS


def test_signing_the_rfc_base_reproduces_the_published_signature() -> None:
    # Ed25519 is deterministic: the same key and base give the same 64 bytes.
    assert base64.b64encode(KeyPair(RFC_SEED).sign(RFC_BASE)).decode() == RFC_SIGNATURE


def test_the_published_rfc_signature_verifies_and_a_changed_request_does_not() -> None:
    headers = {
        **RFC_HEADERS,
        "Signature-Input": f"sig-b26={RFC_PARAMS}",
        "Signature": f"sig-b26=:{RFC_SIGNATURE}:",
    }
    assert signature_matches("POST", RFC_URL, headers, label="sig-b26", public_key=RFC_PUBLIC)
    moved = "https://example.com/bar?param=Value&Pet=dog"
    assert not signature_matches("POST", moved, headers, label="sig-b26", public_key=RFC_PUBLIC)
    other_key = public_from_did(MALLORY.did)
    assert not signature_matches("POST", RFC_URL, headers, label="sig-b26", public_key=other_key)
    assert not signature_matches("POST", RFC_URL, headers, label="absent", public_key=RFC_PUBLIC)


def test_content_digest_matches_rfc9530_examples() -> None:
    assert content_digest(RFC_BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    assert content_digest(RFC_BODY + b"\n") == (
        "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
    )
    assert content_digest(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


def test_the_rfc_requests_sha512_digest_is_accepted_for_its_body_only() -> None:
    headers = crafted(FULL, digest=RFC_HEADERS["Content-Digest"])
    assert verify(headers, body=RFC_BODY) == ALICE.did
    assert refusal(headers, body=RFC_BODY + b" ") == ("digest_mismatch", 400)


# --- Signing and verifying ----------------------------------------------------------------


def test_an_honest_request_names_its_signer() -> None:
    headers = signed(nonce="abc")
    assert verify(headers) == ALICE.did
    assert headers["Content-Digest"] == content_digest(BODY)
    assert headers["Signature-Input"] == (
        'node=("@method" "@authority" "@path" "@query" "content-type" "content-digest")'
        f';created={NOW};keyid="{ALICE.did}";alg="ed25519";expires={NOW + MAX_AGE}'
        ';nonce="abc";tag="p2pvalue"'
    )
    assert headers["Signature"].startswith("node=:") and len(headers["Signature"]) == 95


def test_a_request_without_body_covers_no_digest_and_passes() -> None:
    url = "https://node-b.example/communities/c1"
    headers = sign_request(ALICE, "GET", url, {"Host": "node-b.example"}, created=NOW)
    assert "Content-Digest" not in headers
    assert headers["Signature-Input"].startswith('node=("@method" "@authority" "@path" "@query");')
    assert verify(headers, method="GET", url=url, body=b"") == ALICE.did


def test_each_signature_has_its_own_nonce() -> None:
    first, second = signed(), signed()
    assert first["Signature-Input"] != second["Signature-Input"]
    cache = NonceCache()
    assert verify(first, cache=cache) == verify(second, cache=cache) == ALICE.did
    assert len(cache) == 2


def test_signing_again_replaces_the_old_signature_fields() -> None:
    again = sign_request(MALLORY, "POST", URL, signed(), BODY, created=NOW)
    assert verify(again) == MALLORY.did
    assert sum(name.lower() == "signature" for name in again) == 1


def test_target_uri_may_stand_for_authority_path_and_query() -> None:
    headers = crafted(("@method", "@target-uri", "content-type", "content-digest"))
    assert verify(headers) == ALICE.did


# --- Refusals, each with its code ---------------------------------------------------------


def test_an_unsigned_request_is_refused() -> None:
    assert refusal(dict(HEADERS)) == ("unsigned_request", 401)


def test_a_half_signed_or_malformed_request_is_bad_input() -> None:
    headers = signed()
    no_signature = {k: v for k, v in headers.items() if k != "Signature"}
    assert refusal(no_signature) == ("bad_signature_input", 400)
    assert refusal({**headers, "Signature-Input": "node=("}) == ("bad_signature_input", 400)
    untagged = headers["Signature-Input"].replace(';tag="p2pvalue"', "")
    assert refusal({**headers, "Signature-Input": untagged}) == ("bad_signature_input", 400)
    assert refusal(crafted(("@method",), nonce=None)) == ("bad_signature_input", 400)


def test_two_signatures_in_the_profile_are_ambiguous() -> None:
    one, two = signed(), signed()
    both = {
        **one,
        "Signature-Input": f"{one['Signature-Input']}, other{two['Signature-Input'][4:]}",
        "Signature": f"{one['Signature']}, other{two['Signature'][4:]}",
    }
    assert refusal(both) == ("bad_signature_input", 400)


def test_another_algorithm_is_unsupported() -> None:
    headers = signed()
    rsa = headers["Signature-Input"].replace('alg="ed25519"', 'alg="rsa-pss-sha512"')
    assert refusal({**headers, "Signature-Input": rsa}) == ("unsupported_algorithm", 400)


def test_a_keyid_that_is_no_ed25519_did_key_is_unknown() -> None:
    headers = signed()
    for keyid in ("did:web:node-a.example", ALICE.did[:-3], "test-key-ed25519"):
        changed = headers["Signature-Input"].replace(ALICE.did, keyid)
        assert refusal({**headers, "Signature-Input": changed}) == ("unknown_key", 401)


def test_old_future_and_expired_signatures_are_stale() -> None:
    oldest = NOW - MAX_AGE - CLOCK_SKEW
    assert verify(signed(created=oldest)) == ALICE.did
    assert refusal(signed(created=oldest - 1)) == ("stale_signature", 401)
    assert refusal(signed(created=NOW + CLOCK_SKEW + 1)) == ("stale_signature", 401)
    short = signed(lifetime=10)
    assert refusal(short, now=NOW + 10 + CLOCK_SKEW + 1) == ("stale_signature", 401)
    assert verify(short, now=NOW + 10 + CLOCK_SKEW) == ALICE.did


def test_a_replayed_request_is_refused_while_it_could_pass() -> None:
    headers, cache = signed(), NonceCache()
    assert verify(headers, cache=cache) == ALICE.did
    assert refusal(headers, cache=cache, now=NOW + 60) == ("replayed_request", 401)
    assert verify(headers, cache=NonceCache()) == ALICE.did


def test_uncovered_content_type_or_digest_is_a_missing_component() -> None:
    no_type = crafted(("@method", "@authority", "@path", "@query", "content-digest"))
    assert refusal(no_type) == ("missing_component", 400)
    no_digest = crafted(("@method", "@authority", "@path", "@query", "content-type"))
    assert refusal(no_digest) == ("missing_component", 400)
    no_path = crafted(("@method", "@authority", "@query", "content-type", "content-digest"))
    assert refusal(no_path) == ("missing_component", 400)


def test_a_body_that_fails_or_lacks_its_digest_is_a_mismatch() -> None:
    headers = signed()
    assert refusal(headers, body=b'{"events": [1]}') == ("digest_mismatch", 400)
    undigested = {k: v for k, v in headers.items() if k != "Content-Digest"}
    assert refusal(undigested) == ("digest_mismatch", 400)
    assert refusal({**headers, "Content-Digest": "sha-256=:AAAA:"}) == ("digest_mismatch", 400)


def test_a_changed_target_method_or_key_is_a_bad_signature() -> None:
    headers = signed()
    moved = URL.replace("/c1/", "/c2/")
    assert refusal(headers, url=moved) == ("bad_signature", 401)
    assert refusal(headers, url=URL.replace("since=4", "since=0")) == ("bad_signature", 401)
    assert refusal(headers, url=URL.replace("node-b", "node-c")) == ("bad_signature", 401)
    assert refusal(headers, method="PUT") == ("bad_signature", 401)
    retyped = {**headers, "Content-Type": "text/plain"}
    assert refusal(retyped) == ("bad_signature", 401)
    claimed = headers["Signature-Input"].replace(ALICE.did, MALLORY.did)
    assert refusal({**headers, "Signature-Input": claimed}) == ("bad_signature", 401)
    forged = signed(MALLORY)
    forged["Signature-Input"] = forged["Signature-Input"].replace(MALLORY.did, ALICE.did)
    assert refusal(forged) == ("bad_signature", 401)


# --- The nonce cache ----------------------------------------------------------------------


def test_nonce_cache_holds_a_nonce_until_it_expires() -> None:
    cache = NonceCache()
    assert cache.remember("a", until=100, now=0)
    assert not cache.remember("a", until=200, now=99)
    assert cache.remember("a", until=300, now=100)
    assert len(cache) == 1


def test_nonce_cache_is_bounded_and_forgets_the_soonest_expiring_first() -> None:
    cache = NonceCache(capacity=2)
    assert cache.remember("late", until=30, now=0)
    assert cache.remember("soon", until=10, now=0)
    assert cache.remember("third", until=20, now=0)
    assert len(cache) == 2
    assert not cache.remember("late", until=40, now=1)
    assert not cache.remember("third", until=40, now=1)
    assert cache.remember("soon", until=40, now=1)
    with pytest.raises(ValueError):
        NonceCache(capacity=0)


# --- Over HTTP: a tiny FastAPI app, NodeAuth and a real uvicorn ---------------------------


def tiny_app() -> FastAPI:
    """A node's inbox in miniature: it names the signer and echoes the body it read again."""
    app = FastAPI()

    @app.exception_handler(P2PError)
    async def refuse(request: Request, exc: P2PError) -> JSONResponse:
        return JSONResponse({"code": exc.code}, status_code=exc.status)

    @app.post("/communities/{community}/events")
    async def inbox(community: str, sender: SignedSender, request: Request) -> dict[str, str]:
        body = await request.body()
        return {"sender": sender, "community": community, "body": body.decode()}

    @app.get("/whoami")
    async def whoami(sender: SignedSender) -> dict[str, str]:
        return {"sender": sender}

    return app


@dataclass
class Site:
    url: str
    app: FastAPI


@pytest.fixture
def site() -> Iterator[Site]:
    """The tiny app served by uvicorn on a free loopback port."""
    app = tiny_app()
    with served(app, loopback(), ws="none", lifespan="auto") as url:
        yield Site(url, app)


def test_node_auth_requests_reach_the_route_with_their_sender(site: Site) -> None:
    with httpx.Client(auth=NodeAuth(ALICE), base_url=site.url) as client:
        posted = client.post("/communities/c%201/events", json={"events": [1]})
        asked = client.get("/whoami", params={"since": "4"})
    assert posted.status_code == 200
    assert posted.json() == {"sender": ALICE.did, "community": "c 1", "body": '{"events":[1]}'}
    assert asked.status_code == 200 and asked.json() == {"sender": ALICE.did}
    assert len(getattr(site.app.state, NONCE_STATE)) == 2


Edit = Callable[[dict[str, str]], dict[str, str]]


def _claim_alice(headers: dict[str, str]) -> dict[str, str]:
    claimed = headers["Signature-Input"].replace(MALLORY.did, ALICE.did)
    return {**headers, "Signature-Input": claimed}


def _without(*names: str) -> Edit:
    return lambda headers: {k: v for k, v in headers.items() if k not in names}


@dataclass(frozen=True)
class Tamper:
    """A request signed for INBOX, then sent changed; and how the node answers it."""

    name: str
    answer: tuple[int, str]
    signer: KeyPair = ALICE
    age: int = 0
    path: str = INBOX
    body: bytes = BODY
    edit: Edit | None = None


TAMPERS = [
    Tamper("tampered-body", (400, "digest_mismatch"), body=b'{"events": [2]}'),
    Tamper("tampered-path", (401, "bad_signature"), path="/communities/c2/events"),
    Tamper("wrong-key", (401, "bad_signature"), signer=MALLORY, edit=_claim_alice),
    Tamper("stale-created", (401, "stale_signature"), age=MAX_AGE + CLOCK_SKEW + 60),
    Tamper("no-signature", (400, "bad_signature_input"), edit=_without("Signature")),
    Tamper("unsigned", (401, "unsigned_request"), edit=_without("Signature", "Signature-Input")),
]


@pytest.mark.parametrize("tamper", TAMPERS, ids=[tamper.name for tamper in TAMPERS])
def test_tampered_requests_are_refused_over_http(site: Site, tamper: Tamper) -> None:
    created = int(time.time()) - tamper.age
    signed = sign_request(tamper.signer, "POST", site.url + INBOX, JSON, BODY, created=created)
    sent = signed if tamper.edit is None else tamper.edit(signed)
    with httpx.Client() as client:
        response = client.post(site.url + tamper.path, content=tamper.body, headers=sent)
    assert (response.status_code, response.json()) == (tamper.answer[0], {"code": tamper.answer[1]})


def test_a_replayed_request_is_refused_over_http(site: Site) -> None:
    url = site.url + INBOX
    headers = sign_request(ALICE, "POST", url, JSON, BODY)
    with httpx.Client() as client:
        first = client.post(url, content=BODY, headers=headers)
        again = client.post(url, content=BODY, headers=headers)
    assert first.status_code == 200 and first.json()["sender"] == ALICE.did
    assert (again.status_code, again.json()) == (401, {"code": "replayed_request"})


def test_node_auth_signs_async_requests_too() -> None:
    app = tiny_app()

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://node-b.test", auth=NodeAuth(MALLORY)
        ) as client:
            return await client.post("/communities/c9/events", content=b"hello")

    # A loop of its own on a thread: the browser tests leave one running on the main thread.
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, post()).result()
    assert response.status_code == 200
    assert response.json() == {"sender": MALLORY.did, "community": "c9", "body": "hello"}
