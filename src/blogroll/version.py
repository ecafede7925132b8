"""The installed version, in a module of its own so that any module can use it without importing the
package's application factory."""

from importlib.metadata import version

__version__ = version("blogroll")
