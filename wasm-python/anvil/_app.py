"""`anvil.app` in server code: the app's id, branch and environment, and `get_asset(path)`
(what both sides share is anvil/_app_info.py).

The facts come from the host with the run's context (the bridge operation `session`, op
`context`; host/widgets/app_info.py says what they are), asked for on first use. A run that
belongs to no widget (a classroom check) has none: id and branch are None, as in Anvil's
server before it knows its app. Theme assets are the widget's own files
(`theme/assets/<path>`, mounted read-only with its code); one kept as a `data:` URL (a
picture, a font) is decoded, as the app's origin serves it.
"""

from anvil._app_info import AppInfo

ASSETS = "/widget/theme/assets/"
_DATA_URL = b"data:"


class ServerAppInfo(AppInfo):
    def _facts(self):
        from _widgetbox import bridge

        from anvil._session import context

        try:
            return context._get().get("app") or {}
        except bridge.HostCallError:  # a run of no widget's
            return {}

    def _asset(self, path):
        try:
            with open(ASSETS + path, "rb") as file:
                content = file.read()
        except OSError:
            return None
        head, comma, data = content.partition(b",")
        if content.startswith(_DATA_URL) and comma and head.endswith(b";base64"):
            import binascii

            try:
                content = binascii.a2b_base64(data.strip(), strict_mode=True)
            except (binascii.Error, ValueError):
                return None
        import mimetypes

        from anvil import BlobMedia

        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return BlobMedia(content_type, content, name=path.rsplit("/", 1)[-1])


app = ServerAppInfo()
