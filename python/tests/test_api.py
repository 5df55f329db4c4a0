"""The public API: documented, typed, importable without its optional extras."""

from __future__ import annotations

import inspect
import subprocess
import sys

import m2m_auth
import m2m_auth.asgi
import m2m_auth.fastapi
import m2m_auth.flask
import m2m_auth.httpx
import m2m_auth.requests


def public_members(obj: object) -> list[tuple[str, object]]:
    out = []
    for name, member in inspect.getmembers(obj):
        if name.startswith("_"):
            continue
        out.append((name, member))
    return out


def test_every_public_item_has_a_docstring() -> None:
    missing = []
    modules = [m2m_auth, m2m_auth.httpx, m2m_auth.requests, m2m_auth.fastapi, m2m_auth.flask, m2m_auth.asgi]
    for module in modules:
        if not (module.__doc__ or "").strip():
            missing.append(module.__name__)
        names = getattr(module, "__all__", [])
        for name in names:
            if name.startswith("__"):
                continue
            item = getattr(module, name)
            if not (getattr(item, "__doc__", None) or "").strip():
                missing.append(f"{module.__name__}.{name}")
            if inspect.isclass(item):
                for mname, member in public_members(item):
                    if member is None or isinstance(member, (int, str, float)):
                        continue  # class constants (an error's absent fields are None)
                    if mname in ("args", "with_traceback", "add_note"):
                        continue  # BaseException's own
                    if not (getattr(member, "__doc__", None) or "").strip():
                        missing.append(f"{module.__name__}.{name}.{mname}")
    assert not missing, f"no docstring: {missing}"


def test_signatures_are_introspectable() -> None:
    # Options and request parameters are keywords, taken by name from the
    # engine's surface (tests/test_parity.py checks every name).
    sig = inspect.signature(m2m_auth.TokenClient.get_token)
    assert [p.kind for p in sig.parameters.values()][-1] is inspect.Parameter.VAR_KEYWORD
    assert "scope" in (m2m_auth.TokenClient.get_token.__doc__ or "")
    if sys.version_info >= (3, 10):  # abi3 on 3.9: no text signature for types
        params = inspect.signature(m2m_auth.TokenClient).parameters
        assert [p.kind for p in params.values()] == [inspect.Parameter.VAR_KEYWORD]
    assert inspect.iscoroutinefunction(m2m_auth.TokenClient.get_token_async)
    assert inspect.iscoroutinefunction(m2m_auth.Verifier.verify_async)
    assert inspect.iscoroutinefunction(m2m_auth.Verifier.verify_request_async)


def test_version() -> None:
    assert m2m_auth.__version__.count(".") == 2


def test_get_token_rejects_bad_arguments(client: m2m_auth.TokenClient) -> None:
    import pytest

    with pytest.raises(TypeError, match="get_token.. got an unexpected keyword argument 'audiance'"):
        client.get_token(audiance="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="no positional arguments"):
        client.get_token("a")  # type: ignore[call-arg]
    for method in (client.fetch_token, client.invalidate):
        with pytest.raises(TypeError, match="unexpected keyword argument 'audiance'"):
            method(audiance="x")  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            method("a")  # type: ignore[call-arg]
    with pytest.raises(m2m_auth.ConfigError, match="audience"):
        client.get_token(audience=42)  # type: ignore[typeddict-item]
    with pytest.raises(m2m_auth.ConfigError, match="extra"):
        client.fetch_token(extra=["a"])  # type: ignore[typeddict-item]


def test_import_needs_no_extra_and_is_cheap() -> None:
    code = (
        "import sys, m2m_auth\n"
        "heavy = [m for m in ('asyncio', 'httpx', 'requests', 'logging', 'json', 'typing') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"import m2m_auth pulled in {out.stdout.strip()}"
