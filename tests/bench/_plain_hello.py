"""The baseline: a plain Litestar route, served by uvicorn exactly as Widgetbox is."""

from litestar import Litestar, get


@get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


app = Litestar([hello])
