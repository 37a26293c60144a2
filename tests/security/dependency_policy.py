"""What the dependency audit accepts, with reasons.

IGNORED_VULNERABILITIES: advisory ID (PYSEC-/GHSA-/CVE-) -> why it does not apply. Empty:
every advisory pip-audit reports fails the audit.

SECURITY_FLOORS: an offline backstop, NOT a vulnerability audit. Minimum versions of
security-relevant packages below which a well-known advisory applies; checked on every run,
including where pip-audit's data source cannot be reached, so a pin can never silently slide
back below a fixed release. The list is short and hand-kept; pip-audit is the real check.
"""

from __future__ import annotations

IGNORED_VULNERABILITIES: dict[str, str] = {}

# package (PEP 503 normalized) -> (minimum safe version, advisories fixed there)
SECURITY_FLOORS: dict[str, tuple[str, str]] = {
    "jinja2": ("3.1.6", "CVE-2025-27516 sandbox escape via |attr"),
    "requests": ("2.32.4", "CVE-2024-47081 .netrc credential leak"),
    "urllib3": ("2.5.0", "CVE-2025-50181, CVE-2025-50182 redirect handling"),
    "werkzeug": ("3.0.6", "CVE-2024-49766, CVE-2024-49767 path and multipart handling"),
    "flask": ("3.1.1", "CVE-2025-47278 session key fallback"),
    "gunicorn": ("23.0.0", "CVE-2024-1135, CVE-2024-6827 request smuggling"),
    "h11": ("0.16.0", "CVE-2025-43859 chunked-encoding request smuggling"),
    "starlette": ("0.47.2", "CVE-2025-54121 multipart denial of service"),
    "idna": ("3.7", "CVE-2024-3651 denial of service"),
    "certifi": ("2024.7.4", "CVE-2024-39689 distrusted GLOBALTRUST roots"),
    "cryptography": ("44.0.1", "CVE-2024-12797 vulnerable bundled OpenSSL"),
    "aiohttp": ("3.12.14", "CVE-2025-53643 request smuggling"),
    "setuptools": ("78.1.1", "CVE-2024-6345, CVE-2025-47273 code execution / path traversal"),
    "zipp": ("3.19.1", "CVE-2024-5569 infinite loop"),
    "pymysql": ("1.1.1", "CVE-2024-36039 SQL injection via JSON keys"),
    "sqlparse": ("0.5.0", "CVE-2024-4340 recursion denial of service"),
    "pyarrow": ("14.0.1", "CVE-2023-47248 deserialization of untrusted data"),
    "gitpython": ("3.1.41", "CVE-2024-22190 untrusted search path"),
    "scikit-learn": ("1.5.0", "CVE-2024-5206 token leakage in TfidfVectorizer"),
    "tornado": ("6.5", "CVE-2025-47287 multipart logging denial of service"),
    "pyyaml": ("5.4", "CVE-2020-14343 arbitrary code execution in full_load"),
    "mako": ("1.2.2", "CVE-2022-40023 regular-expression denial of service"),
    "pydantic": ("2.4.0", "CVE-2024-3772 regular-expression denial of service"),
}
