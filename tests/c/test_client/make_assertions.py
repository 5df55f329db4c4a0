#!/usr/bin/env python3
"""Prints N client assertions, one a line, for tests/c/test_client/provider.c:
HS256 JWTs (client_secret_jwt-style, standard library only) with
iss = sub = CLIENT_ID, aud = AUDIENCE, a 60 s lifetime and a fresh jti each,
signed with SECRET, which the dev server has registered for CLIENT_ID.

  make_assertions.py CLIENT_ID AUDIENCE SECRET N
"""
import base64
import hashlib
import hmac
import json
import secrets
import sys
import time


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


client_id, audience, secret, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
now = int(time.time())
for _ in range(n):
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 60,
              "jti": secrets.token_hex(16)}
    head = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    print(head + "." + b64(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest()))
