"""Token-building helpers for the verifier vectors (used by generate.py only).

Every signature is made by joserfc (an independent JOSE library), never by
m2m-auth's own code. Tokens are assembled by hand from the header and claims
so that the generator can build what a well-behaved library refuses to build
(alg "none", HMAC with a public key, `crit`, claims of the wrong type).
"""

from __future__ import annotations

import base64
import datetime
import json
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

KEYS_DIR = Path(__file__).resolve().parent / "keys"

# name -> (kind, parameter). The name is also the `kid`.
KEY_SPECS = {
    "rsa-2048": ("RSA", 2048),
    "ec-p256": ("EC", "P-256"),
    "ec-p384": ("EC", "P-384"),
    "ed25519": ("OKP", "Ed25519"),
    "rsa-1024-weak": ("RSA", 1024),
    "attacker-rsa": ("RSA", 2048),
    "attacker-ec-p256": ("EC", "P-256"),
    "dpop-ec-p256": ("EC", "P-256"),
    "dpop-ed25519": ("OKP", "Ed25519"),
}
# Keys published in the vectors' JWKS; the others are never in it.
JWKS_KEYS = ["rsa-2048", "ec-p256", "ec-p384", "ed25519"]

# joserfc warns about the 1024-bit key; it is weak on purpose (the weak_key case).
warnings.filterwarnings("ignore", message="Key size should be")

_KEY_CLASSES = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}


def b64(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64_json(value) -> str:
    """Compact JSON, keys in insertion order, so re-runs give the same bytes."""
    return b64(json.dumps(value, separators=(",", ":")).encode("utf-8"))


class KeyStore:
    """Loads the test-only private keys from keys/, creating missing ones."""

    def __init__(self) -> None:
        self.keys = {}
        self.created = []
        KEYS_DIR.mkdir(exist_ok=True)
        for name, (kind, param) in KEY_SPECS.items():
            path = KEYS_DIR / f"{name}.json"
            cls = _KEY_CLASSES[kind]
            if path.exists():
                data = json.loads(path.read_text())
                data.pop("_comment", None)
                self.keys[name] = cls.import_key(data)
                continue
            key = cls.generate_key(param, private=True, auto_kid=False)
            data = {"_comment": "TEST-ONLY private key for tests/verify vectors; never use it anywhere else."}
            data.update(key.as_dict(private=True))
            path.write_text(json.dumps(data, indent=2) + "\n")
            self.keys[name] = cls.import_key(key.as_dict(private=True))
            self.created.append(name)

    def public_jwk(self, name: str, **extra) -> dict:
        """The public JWK with kid (= name) and use "sig", plus `extra`."""
        key = self.keys[name]
        jwk = {k: v for k, v in key.as_dict(private=False).items()}
        jwk.pop("kid", None)
        out = {"kid": name, "use": "sig"}
        out.update(jwk)
        out.update(extra)
        return out

    def jwks(self, names=JWKS_KEYS, overrides=None, extra=()) -> dict:
        """A JWKS of `names`; `overrides[name]` replaces/adds JWK members."""
        overrides = overrides or {}
        keys = [self.public_jwk(n, **overrides.get(n, {})) for n in names]
        keys.extend(extra)
        return {"keys": keys}

    def public_pem(self, name: str) -> bytes:
        """SubjectPublicKeyInfo PEM: what an HS256 key-confusion attacker uses as the secret."""
        return self.keys[name].public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    def self_signed_cert_b64(self, name: str) -> str:
        """A fixed self-signed certificate for key `name` (base64 DER, for `x5c`)."""
        key = self.keys[name]
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.example")])
        start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key)
            .serial_number(1)
            .not_valid_before(start)
            .not_valid_after(start.replace(year=2100))
            .sign(key.private_key, hashes.SHA256())  # PKCS#1 v1.5: deterministic
        )
        return base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")


class Signer:
    """Signs with joserfc; reuses a previous run's signature when it is still valid.

    ECDSA and RSA-PSS signatures are randomized; reusing the old signature
    whenever it verifies over the same signing input with the same key keeps
    vectors.json stable across re-runs.
    """

    def __init__(self, store: KeyStore, old_tokens) -> None:
        self.store = store
        self.old = {}
        for token in old_tokens:
            parts = token.split(".")
            if len(parts) == 3:
                try:
                    sig = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
                except ValueError:
                    continue
                sigs = self.old.setdefault(f"{parts[0]}.{parts[1]}", [])
                sigs.append(sig)
                sigs.extend(_fixed_from_der(sig))  # the es256-der-signature case

    def sign(self, alg: str, key_name: str, signing_input: str) -> bytes:
        key = self.store.keys[key_name]
        algorithm = JWSRegistry.algorithms[alg]
        msg = signing_input.encode("ascii")
        for sig in self.old.get(signing_input, []):
            try:
                if algorithm.verify(msg, sig, key):
                    return sig
            except Exception:  # a malformed old signature: just sign anew
                pass
        return algorithm.sign(msg, key)

    def verifies(self, token: str, alg: str, key_name: str) -> bool:
        """joserfc's own opinion of a token's signature (a self-check of the vectors)."""
        h, p, s = token.split(".")
        sig = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        try:
            return JWSRegistry.algorithms[alg].verify(f"{h}.{p}".encode(), sig, self.store.keys[key_name])
        except Exception:
            return False

    def token(self, header: dict, claims, key_name: str | None, alg: str | None = None) -> str:
        """A compact JWS of `header` and `claims` signed by `key_name` with `alg`
        (default: the header's). `claims` may be bytes (sent as is)."""
        payload = claims if isinstance(claims, bytes) else json.dumps(claims, separators=(",", ":")).encode()
        signing_input = f"{b64_json(header)}.{b64(payload)}"
        if key_name is None:
            return signing_input + "."
        return f"{signing_input}.{b64(self.sign(alg or header['alg'], key_name, signing_input))}"


def _fixed_from_der(sig: bytes) -> list:
    """Fixed-width r||s candidates (P-256, P-384) if `sig` is DER, else []."""
    try:
        r, s = decode_dss_signature(sig)
    except ValueError:
        return []
    return [r.to_bytes(n, "big") + s.to_bytes(n, "big") for n in (32, 48) if max(r, s) < 1 << (8 * n)]


def der_from_fixed(sig: bytes) -> bytes:
    """The DER (ASN.1) form of a fixed-width r||s ECDSA signature: JWS forbids it."""
    half = len(sig) // 2
    return encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
