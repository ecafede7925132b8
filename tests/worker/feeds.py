"""Sample feeds, one per format and trap, as the fixture server serves them."""

from __future__ import annotations

import gzip
import json
import zlib

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=utf-8"}

RSS20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>Example blog</title>
    <link>https://blog.example.org/</link>
    <item>
      <title>Second post</title>
      <link>https://blog.example.org/posts/2</link>
      <guid isPermaLink="false">post-2</guid>
      <author>ada@example.org (Ada)</author>
      <description>&lt;p&gt;The &lt;em&gt;second&lt;/em&gt; one.&lt;/p&gt;</description>
      <pubDate>Tue, 06 Jan 2026 10:00:00 GMT</pubDate>
    </item>
    <item>
      <title>First post</title>
      <link>https://blog.example.org/posts/1</link>
      <guid isPermaLink="false">post-1</guid>
      <description>Hello, world.</description>
      <pubDate>Mon, 05 Jan 2026 09:30:00 +0100</pubDate>
    </item>
  </channel>
</rss>
"""

RSS10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.org/">
    <title>An RDF blog</title>
    <link>https://rdf.example.org/</link>
    <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example.org/notes/1"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example.org/notes/1">
    <title>A note in RDF</title>
    <link>https://rdf.example.org/notes/1</link>
    <description>Written in RSS 1.0.</description>
    <dc:creator>Grace</dc:creator>
    <dc:date>2026-01-07T08:00:00Z</dc:date>
  </item>
</rdf:RDF>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>An Atom blog</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id>
  <updated>2026-01-08T12:00:00Z</updated>
  <entry>
    <title type="html">Atom &lt;b&gt;rocks&lt;/b&gt; &amp;amp; rolls</title>
    <id>tag:atom.example.org,2026:1</id>
    <link rel="alternate" href="https://atom.example.org/2026/atom-rocks"/>
    <author><name>Linus</name></author>
    <published>2026-01-08T11:00:00Z</published>
    <updated>2026-01-08T12:00:00Z</updated>
    <content type="html">&lt;p&gt;Full &lt;strong&gt;content&lt;/strong&gt;.&lt;/p&gt;</content>
  </entry>
</feed>
"""

UNSAFE_HTML = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Unsafe</title>
  <item>
    <title>Tricky</title>
    <guid isPermaLink="false">tricky</guid>
    <description><![CDATA[<p onclick="steal()" style="color:red">Hi <script>alert(1)</script>
      <a href="javascript:alert(2)">click</a> <a href="https://safe.example.org/">safe</a>
      <img src="https://safe.example.org/cat.png" onerror="steal()"></p><iframe src="https://evil.example"></iframe>]]></description>
  </item>
</channel></rss>
"""

RELATIVE_LINKS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Relative</title>
  <item>
    <title>Relative post</title>
    <link>/posts/relative</link>
    <description><![CDATA[<p><a href="../about">About</a>
      <img src="img/cat.png" alt="cat"></p>]]></description>
    <pubDate>Fri, 09 Jan 2026 10:00:00 GMT</pubDate>
  </item>
</channel></rss>
"""

ATOM_XML_BASE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example.org/journal/">
  <title>Based</title>
  <id>urn:based</id>
  <updated>2026-01-08T12:00:00Z</updated>
  <entry>
    <title>Based entry</title>
    <id>urn:based:1</id>
    <link href="entries/1"/>
    <updated>2026-01-08T12:00:00Z</updated>
    <summary type="html">&lt;a href="../photos/"&gt;photos&lt;/a&gt;</summary>
  </entry>
</feed>
"""

MISSING_GUIDS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>No guids</title>
  <item>
    <title>Only a link</title>
    <link>https://noguid.example.org/a</link>
    <pubDate>Sat, 10 Jan 2026 10:00:00 GMT</pubDate>
  </item>
  <item>
    <title>Only a title and a date</title>
    <pubDate>Sat, 10 Jan 2026 09:00:00 GMT</pubDate>
  </item>
  <item>
    <title>Only a title</title>
  </item>
</channel></rss>
"""

LATIN1 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0"><channel><title>Caf\u00e9</title>
  <item><title>Caf\u00e9 \u00e0 Z\u00fcrich</title><guid>latin-1</guid>
  <description>Cr\u00e8me br\u00fbl\u00e9e</description></item>
</channel></rss>
""".encode("iso-8859-1")

# No XML declaration: only the HTTP header says which encoding this is.
CYRILLIC = """<rss version="2.0"><channel><title>\u0411\u043b\u043e\u0433</title>
  <item><title>\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440</title><guid>cp1251</guid></item>
</channel></rss>
""".encode("cp1251")

UNDEFINED_ENTITY = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Sloppy</title>
  <item><title>Fish &nbsp; chips</title><guid>sloppy-1</guid></item>
  <item><title>Unclosed</title><guid>sloppy-2</guid></item>
</channel>
"""

NOT_A_FEED = b"<!doctype html><html><head><title>Home</title></head><body><p>Hello</body></html>"

UNDATED_AND_FUTURE = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Dates</title>
  <item><title>Undated</title><guid isPermaLink="false">undated</guid></item>
  <item>
    <title>From the future</title><guid isPermaLink="false">future</guid>
    <pubDate>Wed, 01 Jan 2098 00:00:00 GMT</pubDate>
  </item>
</channel></rss>
"""

DUPLICATE_GUIDS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Twice</title>
  <item>
    <title>Newer copy</title><guid isPermaLink="false">same</guid>
    <pubDate>Sun, 11 Jan 2026 10:00:00 GMT</pubDate>
  </item>
  <item>
    <title>Older copy</title><guid isPermaLink="false">same</guid>
    <pubDate>Sun, 11 Jan 2026 09:00:00 GMT</pubDate>
  </item>
</channel></rss>
"""


def rss(*items: tuple[str, str], title: str = "Generated") -> bytes:
    """A small RSS 2.0 feed from (guid, title) pairs."""
    body = "".join(
        f"<item><title>{item_title}</title><guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>Mon, 12 Jan 2026 10:00:00 GMT</pubDate></item>"
        for guid, item_title in items
    )
    channel = f"<channel><title>{title}</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzipped to about a thousandth of that."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.flush())
    return b"".join(parts)


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


JSON_FEED_TYPE = {"Content-Type": "application/feed+json"}

# JSON Feed 1.1 with every field the worker reads, and the traps RSS and Atom have too.
JSON_FEED_11 = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "A JSON blog",
        "home_page_url": "https://json.example.org/",
        "feed_url": "https://json.example.org/feed.json",
        "authors": [{"name": "The Team"}],
        "items": [
            {
                "id": "https://json.example.org/2026/second",
                "url": "https://json.example.org/2026/second",
                "title": "Second <post>",
                "content_html": '<p onclick="steal()">Hi <script>alert(1)</script>'
                '<a href="/about">about</a> <img src="cat.png"></p>',
                "date_published": "2026-01-08T11:00:00+01:00",
                "authors": [{"name": "Ada"}, {"name": "Grace"}],
            },
            {
                "id": "first",
                "url": "https://json.example.org/2026/first",
                "content_text": "Plain <text>\non two lines",
                "date_modified": "2026-01-07T09:00:00Z",
            },
            {"id": 42, "title": "A numeric id, no date", "summary": "Only a summary."},
            {"url": "https://json.example.org/no-id", "title": "No id", "content_html": ""},
            {"id": "future", "title": "From the future", "date_published": "2098-01-01T00:00:00Z"},
            "not an item",
        ],
    }
).encode()

# JSON Feed 1.0: `author` (an object) instead of `authors`, served as plain application/json.
JSON_FEED_10 = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1",
        "title": "Old JSON",
        "author": {"name": "Brent"},
        "items": [
            {
                "id": "1",
                "title": "One",
                "content_html": "<p>One</p>",
                "date_published": "2017-05-17T08:02:12-07:00",
            }
        ],
    }
).encode()

# A real-world RSS 2.0 item, with non-ASCII text to show each encoding decodes right.
WORLD = "Grüße, café, Привет, 日本語"


def rss_in(encoding: str, *, declare: bool = False, title: str = WORLD) -> bytes:
    """An RSS 2.0 feed encoded in `encoding` (a byte-order mark only if the codec writes one),
    with an XML declaration naming the encoding only when `declare`."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n' if declare else ""
    document = (
        f'{declaration}<rss version="2.0"><channel><title>Encoded</title>'
        f"<item><title>{title}</title><guid isPermaLink='false'>encoded-1</guid>"
        f"<description>{title}</description></item></channel></rss>"
    )
    return document.encode(encoding)
