"""One Python process of the cross-language shared-cache test: 16 threads call
get_token at once; prints one JSON line with the fingerprints seen.

usage: worker.py TOKEN_URL CLIENT_ID CACHE   (secret in M2M_AUTH_CLIENT_SECRET;
a TLS Redis's CA, PEM, in CROSS_CA_PEM and a store_timeout in CROSS_STORE_TIMEOUT_MS, if any)"""

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import m2m_auth

token_url, client_id, cache = sys.argv[1:4]
client = m2m_auth.TokenClient(
    token_url=token_url,
    client_id=client_id,
    client_secret=os.environ["M2M_AUTH_CLIENT_SECRET"],
    cache=cache,
    no_proxy=True,
    **({"ca_certs": os.environ["CROSS_CA_PEM"]} if os.environ.get("CROSS_CA_PEM") else {}),
    **({"store_timeout": int(os.environ["CROSS_STORE_TIMEOUT_MS"]) / 1000}
       if os.environ.get("CROSS_STORE_TIMEOUT_MS") else {}),
)
with ThreadPoolExecutor(16) as pool:
    tokens = list(pool.map(lambda _: client.get_token().fingerprint, range(16)))
print(json.dumps({"language": "python", "tokens": sorted(set(tokens)), "errors": 0}))
