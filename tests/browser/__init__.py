"""The browser test: headless Chromium driving a real server."""
