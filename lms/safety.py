"""Response headers, proxy handling and the same-site check for redirects."""
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app):
    if app.config["LMS_TRUSTED_PROXIES"]:
        hops = app.config["LMS_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.after_request(add_security_headers)


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config["LMS_HTTPS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def safe_next(target, default_endpoint="pages.dashboard"):
    """`target` if it is a path on this site, otherwise the default page.

    Refuses absolute and scheme-relative URLs, backslash tricks that browsers read
    as `//`, control characters and any scheme such as `javascript:`.
    """
    default = url_for(default_endpoint)
    if not target or not isinstance(target, str):
        return default
    if any(ord(char) < 32 or char == "\\" for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
