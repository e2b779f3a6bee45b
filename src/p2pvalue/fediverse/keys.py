"""The node's RSA key for its ActivityPub actors: Mastodon verifies HTTP Signatures with
rsa-sha256 only, so the Ed25519 keys of the event log cannot serve. One key, created once in
the data folder (readable by the node's user only), signs for every actor of the node."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from p2pvalue.errors import P2PError

KEY_FILE = "ap_actor.pem"
KEY_BITS = 2048
PUBLIC_EXPONENT = 65537


def actor_key(data_dir: Path) -> rsa.RSAPrivateKey:
    """The node's actor key, from `data_dir/ap_actor.pem`; created (mode 0600) if missing."""
    path = data_dir / KEY_FILE
    if not path.exists():
        _create(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise P2PError("bad_key_file", f"{path} cannot be read: {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise P2PError("bad_key_file", f"{path} does not hold an RSA private key")
    return key


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """The SubjectPublicKeyInfo PEM of `key`, as actor documents publish it."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _create(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: use theirs
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
