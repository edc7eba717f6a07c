"""Target profiles: what a product under test declares, read from a TOML file and validated.

A profile names the product, where each MIM is served, how to authenticate, which optional
capabilities the product declares (its Implementation Conformance Statement) and where the
product can reach the suite's notification receiver. See profiles/targets/example.toml.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from conformance.capabilities import problem as capability_problem

MIMS: tuple[str, ...] = ("mim1", "mim2", "mim3")
AUTH_TYPES: tuple[str, ...] = ("none", "bearer", "oauth2")


class ProfileError(ValueError):
    """A profile is invalid. The message names the file, the key and what is expected."""

    def __init__(self, source: str, key: str, expected: str) -> None:
        super().__init__(f"{source}: key '{key}': {expected}")
        self.source = source
        self.key = key


@dataclass(frozen=True)
class Auth:
    type: str = "none"
    token_env: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    scope: str | None = None

    def secrets(self) -> list[str]:
        """Secret values this auth configuration can put on the wire (read from the environment)."""
        values = []
        for env in (self.token_env, self.client_secret_env):
            if env and os.environ.get(env):
                values.append(os.environ[env])
        return values


@dataclass(frozen=True)
class Notifications:
    bind_host: str = "127.0.0.1"
    bind_port: int = 0
    callback_url: str | None = None
    window_seconds: float = 5.0
    # a real MQTT broker (mqtt://host:port or mqtts://...) for MQTT notifications; None: the suite's
    # embedded broker on loopback
    mqtt_url: str | None = None


@dataclass(frozen=True)
class Tls:
    """How HTTPS targets are trusted: a CA bundle (a private CA), a client certificate and key (for
    mTLS gateways), or ``insecure`` (no verification at all; recorded in the certificate)."""

    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False

    @property
    def verify(self) -> bool | str:
        """What requests takes as ``verify``."""
        return False if self.insecure else (self.ca_bundle or True)

    @property
    def cert(self) -> tuple[str, str] | str | None:
        """What requests takes as ``cert``."""
        if self.client_cert and self.client_key:
            return (self.client_cert, self.client_key)
        return self.client_cert

    @property
    def configured(self) -> bool:
        return bool(self.ca_bundle or self.client_cert or self.insecure)

    def identity(self) -> dict[str, Any]:
        return {
            "ca_bundle": Path(self.ca_bundle).name if self.ca_bundle else None,
            "client_certificate": bool(self.client_cert),
            "insecure": self.insecure,
        }


@dataclass(frozen=True)
class Signing:
    """Where the run's Ed25519 signing key is: a PEM file, or an environment variable holding the PEM.
    The key itself never goes into the profile or the run folder."""

    key_file: str | None = None
    key_env: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.key_file or self.key_env)


@dataclass(frozen=True)
class TargetProfile:
    name: str
    vendor: str
    version: str
    base_urls: dict[str, str]
    auth: Auth = field(default_factory=Auth)
    tenant: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    capabilities: tuple[str, ...] = ()
    notifications: Notifications = field(default_factory=Notifications)
    timeout_seconds: float = 10.0
    deadline_seconds: float = 1800.0
    request_seconds: float = 60.0
    max_response_bytes: int = 16 * 1024 * 1024
    source: str = "<built-in>"
    signing: Signing = field(default_factory=lambda: Signing())
    # [mim2] models_path: folders of Smart Data Models added to the bundled ones (conformance/sdm_registry.py)
    models_paths: tuple[str, ...] = ()
    # [mim2] format_checks: how the "format" keyword of the SDM schemas is judged, strict (default),
    # lenient or off (conformance/sdm.py format_checker)
    format_checks: str = "strict"
    tls: Tls = field(default_factory=lambda: Tls())
    # [mim3.roots] tmf638 = "https://host/serviceInventoryManagement/v4": the root of one TM Forum API
    # where it is not below the [mim3] base_url at its default path (conformance/tmf/api.py)
    tmf_roots: dict[str, str] = field(default_factory=dict)

    def base_url(self, mim: str) -> str | None:
        return self.base_urls.get(mim)

    def trusted_urls(self) -> list[str]:
        """Where the suite may send credentials and the profile's headers: the MIM base URLs and the
        TM Forum API roots the profile gives."""
        return [*self.base_urls.values(), *self.tmf_roots.values()]

    def declares(self, capability: str) -> bool:
        return capability in self.capabilities

    def identity(self) -> dict[str, Any]:
        """What the certificate says about the target: never a secret, never a header value."""
        return {
            "name": self.name,
            "vendor": self.vendor,
            "version": self.version,
            "base_urls": dict(self.base_urls),
            **({"mim3_roots": dict(self.tmf_roots)} if self.tmf_roots else {}),
            "tenant": self.tenant,
            "auth": self.auth.type,
            "profile": self.source,
            **({"tls": self.tls.identity()} if self.tls.configured else {}),
        }


def _url(source: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ProfileError(source, key, f"expected a URL string, got {type(value).__name__}")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ProfileError(source, key, f"expected an http:// or https:// URL, got {value!r}")
    return value.rstrip("/")


def _mqtt_url(source: str, key: str, value: Any) -> str:
    """An MQTT broker address: mqtt://host:port or mqtts://host:port (no topic, no query)."""
    if not isinstance(value, str):
        raise ProfileError(source, key, f"expected an mqtt:// or mqtts:// URL, got {type(value).__name__}")
    parsed = urlparse(value)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if (
        parsed.scheme not in ("mqtt", "mqtts")
        or not parsed.hostname
        or port is None
        or parsed.path.strip("/")
        or parsed.query
    ):
        raise ProfileError(source, key, f"expected mqtt://HOST:PORT or mqtts://HOST:PORT, got {value!r}")
    return value.rstrip("/")


def _str(source: str, key: str, value: Any, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise ProfileError(source, key, "is required and missing")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ProfileError(source, key, f"expected a non-empty string, got {value!r}")
    return value


def _number(source: str, key: str, value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ProfileError(source, key, f"expected a positive number, got {value!r}")
    return float(value)


def _table(source: str, key: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProfileError(source, key, f"expected a table, got {type(value).__name__}")
    return value


def _check_keys(source: str, prefix: str, table: dict[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            where = f"{prefix}.{key}" if prefix else key
            raise ProfileError(source, where, f"unknown key; allowed here: {', '.join(sorted(allowed))}")


_MIM_KEYS = {
    "mim1": {"base_url", "tenant"},
    "mim2": {"base_url", "models_path", "format_checks"},
    "mim3": {"base_url", "roots"},
}
_TMF_CAPABILITY = re.compile(r"^tmf\d{3}(-v5)?$")


def _tmf_roots(source: str, value: Any) -> dict[str, str]:
    """[mim3.roots]: TM Forum capability (tmf638) -> the URL of that API's root."""
    table = _table(source, "mim3.roots", value)
    roots = {}
    for key, url in table.items():
        if not isinstance(key, str) or not _TMF_CAPABILITY.match(key):
            raise ProfileError(source, f"mim3.roots.{key}", "expected a TM Forum capability such as tmf638")
        roots[key] = _url(source, f"mim3.roots.{key}", url)
    return roots


def _models_paths(source: str, value: Any) -> tuple[str, ...]:
    """[mim2] models_path: one folder or a list, relative to the profile's own folder."""
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise ProfileError(source, "mim2.models_path", "expected a folder or a list of folders")
    base = Path(source).parent if Path(source).is_file() else Path.cwd()
    return tuple(str((base / Path(v).expanduser()).resolve()) for v in values)


def _without_model_capabilities(source: str, declared: list[str], models_paths: tuple[str, ...]) -> list[str]:
    """The declared names less the capabilities of added Smart Data Models subjects (sdm-*)."""
    if not any(name.startswith("sdm-") and capability_problem([name]) for name in declared):
        return declared
    from conformance.sdm_registry import ModelError, load

    try:
        added = load(models_paths).capabilities()
    except ModelError as exc:
        raise ProfileError(source, "mim2.models_path", str(exc)) from None
    return [name for name in declared if name not in added]


def parse_profile(data: dict[str, Any], source: str) -> TargetProfile:
    """Validate a profile's parsed TOML content."""
    _check_keys(
        source,
        "",
        data,
        {
            "product",
            "mim1",
            "mim2",
            "mim3",
            "auth",
            "headers",
            "capabilities",
            "notifications",
            "run",
            "signing",
            "tls",
        },
    )
    product = _table(source, "product", data.get("product"))
    _check_keys(source, "product", product, {"name", "vendor", "version"})
    name = _str(source, "product.name", product.get("name"), required=True)
    vendor = _str(source, "product.vendor", product.get("vendor")) or "unknown"
    version = _str(source, "product.version", product.get("version")) or "unknown"

    base_urls: dict[str, str] = {}
    tenant: str | None = None
    tmf_roots: dict[str, str] = {}
    for mim in MIMS:
        table = _table(source, mim, data.get(mim))
        _check_keys(source, mim, table, _MIM_KEYS[mim])
        if "base_url" in table:
            base_urls[mim] = _url(source, f"{mim}.base_url", table["base_url"])
        if mim == "mim1":
            tenant = _str(source, "mim1.tenant", table.get("tenant"))
        if mim == "mim3":
            tmf_roots = _tmf_roots(source, table.get("roots"))
            if tmf_roots and "mim3" not in base_urls:
                raise ProfileError(
                    source, "mim3.base_url", "[mim3.roots] needs a [mim3] base_url for the other APIs"
                )
    if "mim2" not in base_urls and "mim1" in base_urls:
        base_urls["mim2"] = base_urls["mim1"]  # MIM2 data models are exchanged over MIM1
    if not base_urls:
        raise ProfileError(source, "mim1.base_url", "at least one MIM base_url is required")

    auth_t = _table(source, "auth", data.get("auth"))
    _check_keys(
        source, "auth", auth_t, {"type", "token_env", "token_url", "client_id", "client_secret_env", "scope"}
    )
    auth_type = auth_t.get("type", "none")
    if auth_type not in AUTH_TYPES:
        raise ProfileError(source, "auth.type", f"expected one of {', '.join(AUTH_TYPES)}, got {auth_type!r}")
    auth = Auth(
        type=auth_type,
        token_env=_str(source, "auth.token_env", auth_t.get("token_env"), required=auth_type == "bearer"),
        token_url=(
            _url(source, "auth.token_url", auth_t.get("token_url"))
            if auth_type == "oauth2" or "token_url" in auth_t
            else None
        ),
        client_id=_str(source, "auth.client_id", auth_t.get("client_id"), required=auth_type == "oauth2"),
        client_secret_env=_str(
            source, "auth.client_secret_env", auth_t.get("client_secret_env"), required=auth_type == "oauth2"
        ),
        scope=_str(source, "auth.scope", auth_t.get("scope")),
    )

    headers = _table(source, "headers", data.get("headers"))
    for key, value in headers.items():
        if not isinstance(value, str):
            raise ProfileError(source, f"headers.{key}", f"expected a string, got {value!r}")
        if key.lower() in ("authorization", "ngsild-tenant"):
            raise ProfileError(source, f"headers.{key}", "set this through [auth] or mim1.tenant instead")

    caps_t = _table(source, "capabilities", data.get("capabilities"))
    _check_keys(source, "capabilities", caps_t, {"declared"})
    declared = caps_t.get("declared", [])
    if not isinstance(declared, list) or not all(isinstance(c, str) for c in declared):
        raise ProfileError(source, "capabilities.declared", "expected a list of capability names")
    models_paths = _models_paths(source, _table(source, "mim2", data.get("mim2")).get("models_path"))
    format_checks = _table(source, "mim2", data.get("mim2")).get("format_checks", "strict")
    if format_checks not in ("strict", "lenient", "off"):
        raise ProfileError(
            source, "mim2.format_checks", f"expected strict, lenient or off, got {format_checks!r}"
        )
    bad = capability_problem(_without_model_capabilities(source, declared, models_paths))
    if bad:
        raise ProfileError(source, "capabilities.declared", bad)

    ntf_t = _table(source, "notifications", data.get("notifications"))
    _check_keys(source, "notifications", ntf_t, {"bind", "callback_url", "window_seconds", "mqtt_url"})
    bind = ntf_t.get("bind", "127.0.0.1:0")
    host, _, port = str(bind).rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ProfileError(source, "notifications.bind", f"expected HOST:PORT, got {bind!r}")
    notifications = Notifications(
        bind_host=host,
        bind_port=int(port),
        callback_url=(
            _url(source, "notifications.callback_url", ntf_t["callback_url"])
            if "callback_url" in ntf_t
            else None
        ),
        window_seconds=_number(source, "notifications.window_seconds", ntf_t.get("window_seconds"), 5.0),
        mqtt_url=_mqtt_url(source, "notifications.mqtt_url", ntf_t["mqtt_url"])
        if "mqtt_url" in ntf_t
        else None,
    )

    run_t = _table(source, "run", data.get("run"))
    _check_keys(
        source, "run", run_t, {"timeout_seconds", "deadline_seconds", "request_seconds", "max_response_bytes"}
    )
    sign_t = _table(source, "signing", data.get("signing"))
    _check_keys(source, "signing", sign_t, {"key_file", "key_env"})
    signing = Signing(
        key_file=_str(source, "signing.key_file", sign_t.get("key_file")),
        key_env=_str(source, "signing.key_env", sign_t.get("key_env")),
    )
    if signing.key_file and signing.key_env:
        raise ProfileError(source, "signing", "give key_file or key_env, not both")
    tls = _tls(source, _table(source, "tls", data.get("tls")))
    return TargetProfile(
        name=name or "",
        vendor=vendor,
        version=version,
        base_urls=base_urls,
        auth=auth,
        tenant=tenant,
        headers=dict(headers),
        capabilities=tuple(declared),
        notifications=notifications,
        timeout_seconds=_number(source, "run.timeout_seconds", run_t.get("timeout_seconds"), 10.0),
        deadline_seconds=_number(source, "run.deadline_seconds", run_t.get("deadline_seconds"), 1800.0),
        request_seconds=_number(source, "run.request_seconds", run_t.get("request_seconds"), 60.0),
        max_response_bytes=int(
            _number(source, "run.max_response_bytes", run_t.get("max_response_bytes"), 16 * 1024 * 1024)
        ),
        source=source,
        signing=signing,
        tls=tls,
        models_paths=models_paths,
        format_checks=format_checks,
        tmf_roots=tmf_roots,
    )


def _tls(source: str, table: dict[str, Any]) -> Tls:
    """The [tls] table: file paths are relative to the profile's folder and must exist."""
    _check_keys(source, "tls", table, {"ca_bundle", "client_cert", "client_key", "insecure"})
    base = Path(source).parent if source not in ("<built-in>", "--target-url") else Path.cwd()

    def file(key: str) -> str | None:
        value = _str(source, f"tls.{key}", table.get(key))
        if value is None:
            return None
        path = Path(value).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise ProfileError(source, f"tls.{key}", f"no such file: {path}")
        return str(path)

    insecure = table.get("insecure", False)
    if not isinstance(insecure, bool):
        raise ProfileError(source, "tls.insecure", f"expected true or false, got {insecure!r}")
    tls = Tls(file("ca_bundle"), file("client_cert"), file("client_key"), insecure)
    if tls.insecure and tls.ca_bundle:
        raise ProfileError(source, "tls", "give ca_bundle or insecure = true, not both")
    if tls.client_key and not tls.client_cert:
        raise ProfileError(source, "tls.client_key", "a client key needs client_cert too")
    return tls


def load_profile(path: str | Path) -> TargetProfile:
    """Read and validate a profile file."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ProfileError(source, "(file)", "no such profile file; see profiles/targets/example.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(source, "(syntax)", f"not valid TOML: {exc}") from None
    return parse_profile(data, source)


def from_url(url: str, *, capabilities: tuple[str, ...] = ()) -> TargetProfile:
    """The profile behind ``--target-url``: an NGSI-LD base URL with defaults."""
    base = _url("--target-url", "mim1.base_url", url)
    return TargetProfile(
        name=base,
        vendor="unknown",
        version="unknown",
        base_urls={"mim1": base, "mim2": base},
        capabilities=capabilities,
        source="--target-url",
    )
