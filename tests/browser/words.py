"""What the admin pages say, per language, for the browser tests that drive them in each one.

`SPANISH` holds, for each English message the tests click or read, the exact text of the Spanish
catalog (src/blogroll/translations/es/LC_MESSAGES/messages.po; tests/browser/test_words.py checks the
two agree). English is the messages themselves. A test asks `words("Added %(name)s.", name="Notes")`:
a message that is not in the table is a KeyError, so both languages always cover the same texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SPANISH = {
    "%(name)s will be fetched at the next pass.": "%(name)s se descargará en la próxima pasada.",
    "%(site)s admin": "Administración de %(site)s",
    "API tokens": "Tokens de la API",
    "Add": "Añadir",
    "Add %(name)s?": "¿Añadir %(name)s?",
    "Add a blog": "Añadir un blog",
    "Add the first one": "Añade el primero",
    "Added %(added)s, already in the blogroll %(skipped)s, refused %(refused)s.": (
        "Añadidos: %(added)s; ya estaban en el blogroll: %(skipped)s; rechazados: %(refused)s."
    ),
    "Added %(name)s.": "Se añadió %(name)s.",
    "Address of an OPML file": "Dirección de un archivo OPML",
    "Admin": "Administración",
    "Approve": "Aprobar",
    "Approved %(name)s: it is in the blogroll now.": "Aprobado %(name)s: ya está en el blogroll.",
    "Blogs": "Blogs",
    "paused by a keeper": "en pausa por decisión de un responsable",
    "Contact": "Contacto",
    "Create": "Crear",
    "Edit": "Editar",
    "Edit %(name)s": "Editar %(name)s",
    "Export OPML": "Exportar OPML",
    "Feed address": "Dirección del feed",
    "Feed found": "Feed encontrado",
    "Feed title": "Título del feed",
    "Fetch now": "Descargar ahora",
    "Find feed": "Buscar el feed",
    "How to reach you": "Cómo contactarte",
    "Import OPML": "Importar OPML",
    "Import another file": "Importar otro archivo",
    "Import from the address": "Importar desde la dirección",
    "Import the file": "Importar el archivo",
    "Imported %(source)s": "Importado: %(source)s",
    "Name": "Nombre",
    "No blogs yet.": "Todavía no hay blogs.",
    "No submission waits.": "No hay ninguna sugerencia pendiente.",
    "No tokens yet.": "Todavía no hay tokens.",
    "Note": "Nota",
    "Note for the keepers": "Nota para quienes mantienen el blogroll",
    "OPML file": "Archivo OPML",
    "Password": "Contraseña",
    "Pause": "Pausar",
    "Paused %(name)s.": "Se pausó %(name)s.",
    "Reason": "Motivo",
    "Reject": "Rechazar",
    "Rejected %(name)s.": "Rechazado %(name)s.",
    "Remove": "Eliminar",
    "Remove %(name)s": "Eliminar %(name)s",
    "Remove %(name)s?": "¿Eliminar %(name)s?",
    "Removed %(name)s.": "Se eliminó %(name)s.",
    "Resume": "Reanudar",
    "Resumed %(name)s.": "Se reanudó %(name)s.",
    "Revoke %(name)s": "Revocar %(name)s",
    "Revoked token %(name)s.": "Se revocó el token %(name)s.",
    "Save": "Guardar",
    "Sign in": "Iniciar sesión",
    "Sign out": "Cerrar sesión",
    "Signed in as %(name)s": "Sesión iniciada como %(name)s",
    "Site": "Sitio",
    "Site address": "Dirección del sitio",
    "Submissions": "Sugerencias",
    "Submissions (%(count)s)": "Sugerencias (%(count)s)",
    "Suggest a blog": "Sugiere un blog",
    "Suggest another blog": "Sugiere otro blog",
    "Suggest this blog": "Sugerir este blog",
    "Tags": "Etiquetas",
    "Thank you": "Gracias",
    "That user name and password do not match.": "Ese nombre de usuario y esa contraseña no coinciden.",
    "The server answered %(answer)s.": "El servidor respondió %(answer)s.",
    "This feed is already in the blogroll, as": "Este feed ya está en el blogroll, como",
    "User name": "Nombre de usuario",
    "Your suggestion waits for a keeper. Once approved, the blog appears in the blogroll.": (
        "Tu sugerencia espera la revisión de quien mantiene el blogroll. "
        "Cuando se apruebe, el blog aparecerá en el blogroll."
    ),
    "already there as": "ya está como",
    "never": "nunca",
}


@dataclass(frozen=True)
class Words:
    """One language as the browser test meets it: the browser's locale (Playwright sets
    Accept-Language from it), the page's `<html lang>`, how the blog table writes a time, and the
    messages."""

    locale: str
    lang: str
    stamp: str  # a regular expression for a time as the blog table writes it
    table: dict[str, str]

    def __call__(self, message: str, **variables: Any) -> str:
        return self.table[message] % variables if variables else self.table[message]

    def admin_title(self, page: str) -> str:
        """A page's <title>: "Blogs · Blogroll admin"."""
        return f"{self(page)} · {self('%(site)s admin', site='Blogroll')}"

    def check_lang(self, page: Any) -> None:
        """The page says it is in this language, as screen readers and translators read it."""
        # A locator waits for the document's element (null while a new page is being committed).
        lang = page.locator("html").get_attribute("lang")
        assert lang == self.lang, f"{page.url} is in {lang!r}, not {self.lang!r}"


ENGLISH = Words(
    locale="en-US",
    lang="en",
    # "Mar 1, 2026, 9:05 AM", a narrow no-break space before AM.
    stamp=r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d\s[AP]M",
    table={message: message for message in SPANISH},
)
SPANISH_WORDS = Words(
    locale="es-ES",
    lang="es",
    stamp=r"\d{1,2} [a-z]{3} \d{4}, \d{1,2}:\d\d",  # "1 mar 2026, 9:05"
    table=SPANISH,
)
LANGUAGES = [ENGLISH, SPANISH_WORDS]
LANGUAGE_IDS = [words.lang for words in LANGUAGES]
