"""Ed25519 key pairs, `did:key` names and signatures (keys.py)."""

from __future__ import annotations

import base58
import pytest

from p2pvalue.events.canonical import unb64u
from p2pvalue.events.keys import KeyPair, did_from_public, public_from_did, verify

# The did:key spec's Ed25519 example; its JWK form publishes x = SPEC_JWK_X.
SPEC_DID = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
SPEC_JWK_X = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"

# RFC 8032 section 7.1, test 1: secret key, public key, and the signature of the empty message.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_spec_did_decodes_to_its_published_public_key() -> None:
    assert public_from_did(SPEC_DID) == unb64u(SPEC_JWK_X)


def test_spec_did_reencodes_to_itself() -> None:
    assert did_from_public(public_from_did(SPEC_DID)) == SPEC_DID


def test_generated_key_round_trips_through_its_did() -> None:
    pair = KeyPair.generate()
    public = public_from_did(pair.did)
    assert len(public) == 32
    assert did_from_public(public) == pair.did
    assert pair.did.startswith("did:key:z6Mk")


def test_rfc8032_vector_gives_the_published_key_and_signature() -> None:
    pair = KeyPair(RFC8032_SECRET)
    assert public_from_did(pair.did) == RFC8032_PUBLIC
    assert pair.sign(b"") == RFC8032_SIGNATURE
    assert verify(pair.did, b"", RFC8032_SIGNATURE) is True


@pytest.mark.parametrize(
    "did",
    [
        "",
        "did:key:",
        "did:key:z",
        "did:web:example.org",
        SPEC_DID.replace("did:key:z", "did:key:f"),
        SPEC_DID.replace("did:key:z", "did:key:zz"),
        SPEC_DID[:-1] + "0",  # 0 is not in the base58btc alphabet
        SPEC_DID[:-2],  # one key byte short
        SPEC_DID + "1",  # one byte too many
        did_from_public(b"\x01" * 32).replace("z6Mk", "z6Mj"),
        "did:key:z" + "1" * 80,
        " " + SPEC_DID,
    ],
)
def test_malformed_dids_are_rejected(did: str) -> None:
    with pytest.raises(ValueError):
        public_from_did(did)


def test_did_naming_a_non_ed25519_key_is_rejected() -> None:
    x25519 = "did:key:z" + base58.b58encode(b"\xec\x01" + bytes(range(32))).decode()
    assert x25519.startswith("did:key:z6LS")
    with pytest.raises(ValueError, match="does not hold an Ed25519 key"):
        public_from_did(x25519)


@pytest.mark.parametrize("suffix", [" ", "\n", "\t"])
def test_did_with_trailing_whitespace_is_rejected(suffix: str) -> None:
    with pytest.raises(ValueError):
        public_from_did(SPEC_DID + suffix)


def test_signature_verifies_only_for_its_key_and_message() -> None:
    alice, bob = KeyPair.generate(), KeyPair.generate()
    signature = alice.sign(b"contribution")
    assert len(signature) == 64
    assert verify(alice.did, b"contribution", signature) is True
    assert verify(bob.did, b"contribution", signature) is False
    assert verify(alice.did, b"contributioN", signature) is False
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert verify(alice.did, b"contribution", flipped) is False


@pytest.mark.parametrize("signature", [b"", b"\x00" * 63, b"\x00" * 65])
def test_signature_of_wrong_length_does_not_verify(signature: bytes) -> None:
    assert verify(KeyPair.generate().did, b"m", signature) is False


def test_verify_with_an_invalid_did_is_false() -> None:
    pair = KeyPair.generate()
    assert verify("did:key:znope", b"m", pair.sign(b"m")) is False


def test_key_pair_from_seed_is_deterministic() -> None:
    seed = bytes(range(32))
    assert KeyPair(seed).did == KeyPair(seed).did
    assert KeyPair(seed).sign(b"x") == KeyPair(seed).sign(b"x")
    assert KeyPair(seed).did != KeyPair(bytes(31) + b"\x01").did
