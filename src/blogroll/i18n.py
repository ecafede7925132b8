"""Which language a page speaks: English or Spanish, chosen per request, with Flask-Babel's catalogs.

The choice, in order: `?lang=` in the address (a link on every page; remembered in a cookie), the
`blogroll_lang` cookie, the browser's `Accept-Language`, else English. Behind the proxy the app sees
an `Accept-Language` that nginx has already reduced to one served language (deploy/nginx/blogroll.conf),
the very value nginx keys its micro-cache on, so the two never disagree. The API stays English.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import flask_babel
from babel.support import NullTranslations
from flask import Flask, Response, g, request
from flask_babel import Babel, get_locale
from werkzeug.datastructures import LanguageAccept

# The languages Blogroll serves; the first is the default. Adding one: docs/languages.md.
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = LANGUAGES[0]
# Each language named in itself, as a reader who does not know the current one looks for it.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
COOKIE_NAME = "blogroll_lang"
QUERY_ARG = "lang"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60

babel = Babel()


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it: JSON answers use it as written, pages
    pass it through `gettext` when they show it."""
    return message


def gettext(string: str, **variables: Any) -> str:
    """flask_babel's `gettext`, typed: `string` in this request's language, variables filled in
    (English outside a request, as in the CLI)."""
    return str(flask_babel.gettext(string, **variables))


def request_translations() -> NullTranslations:
    """This request's catalog, looked up once per request (Flask-Babel finds it again, through
    several context lookups, for each message: a page has 50 of them)."""
    translations: NullTranslations | None = g.get("_blogroll_translations")
    if translations is None:
        translations = g._blogroll_translations = flask_babel.get_translations()
    return translations


def _template_gettext(string: str) -> str:
    return request_translations().ugettext(string)


def _template_ngettext(singular: str, plural: str, count: int) -> str:
    return request_translations().ungettext(singular, plural, count)


def select_language() -> str:
    """The language of this request: the address's choice, the cookie's, then the browser's. JSON
    answers (the API, the probes) are always English: their messages are a contract, even where
    they come from code the pages share (validation, OPML import). The API's page for people is a
    page like the others."""
    if _answers_json():
        return DEFAULT_LANGUAGE
    return choose_language(
        request.args.get(QUERY_ARG, ""), request.cookies.get(COOKIE_NAME, ""), request.accept_languages
    )


def choose_language(asked: str, remembered: str, accepted: LanguageAccept) -> str:
    """The language a page is answered in, from the address's `lang`, the cookie and the browser's
    Accept-Language; apart from the request so the embedded micro-cache keys on the very same choice."""
    asked = asked.strip().lower()
    if asked in LANGUAGES:
        return asked
    if remembered in LANGUAGES:
        return remembered
    return accepted.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def _answers_json() -> bool:
    if request.path in ("/healthz", "/readyz", "/metrics"):
        return True
    return request.path.startswith("/api/") and request.endpoint != "api.api_page"


def current_language() -> str:
    """The language this request is answered in (the default outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def language_links() -> list[dict[str, Any]]:
    """A link to this very page in each language: the same address and arguments, `lang` changed."""
    current = current_language()
    path = quote(request.script_root + request.path)
    links = []
    for code in LANGUAGES:
        args = [(key, value) for key, value in request.args.items(multi=True) if key != QUERY_ARG]
        href = f"{path}?{urlencode([*args, (QUERY_ARG, code)])}"
        links.append({"code": code, "name": LANGUAGE_NAMES[code], "href": href, "current": code == current})
    return links


def language_values() -> dict[str, Any]:
    """What every template (error pages included) needs to say which language it speaks."""
    return {"language": current_language(), "language_links": language_links()}


def mark_language(response: Response) -> Response:
    """`after_request`: a page says its language and what chose it; a `?lang=` choice is remembered.

    Only HTML varies: feeds, OPML and the API are the same in every language. `Vary` tells browsers
    and shared caches which request headers the page depends on; nginx ignores it (its key already
    holds the language) so that it does not keep one copy per raw header value.
    """
    if response.mimetype != "text/html":
        return response
    language = current_language()
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    asked = request.args.get(QUERY_ARG, "").strip().lower()
    if asked in LANGUAGES and request.cookies.get(COOKIE_NAME) != asked:
        # No script reads it (HttpOnly costs nothing); an answer that sets it is never stored by the
        # proxy's micro-cache (nginx does not cache answers with Set-Cookie).
        response.set_cookie(
            COOKIE_NAME,
            asked,
            max_age=COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def init_app(app: Flask) -> None:
    """Flask-Babel on the app (it also gives templates `_`, `gettext` and `ngettext`), its language
    chosen per request, and the response headers that say which."""
    babel.init_app(
        app,
        default_locale=DEFAULT_LANGUAGE,
        default_timezone="UTC",
        locale_selector=select_language,
    )
    # Templates' `_`, `gettext` and `ngettext` (newstyle: Jinja fills in the variables and escapes).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_template_gettext, ngettext=_template_ngettext, newstyle=True
    )
    app.context_processor(language_values)
    app.after_request(mark_language)
