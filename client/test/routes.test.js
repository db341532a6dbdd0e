// findRoutes (src/lib/routes.js): an HTTP API's routes as the try-it panel lists them.
// Run with `node --test test/` (tests/unit/test_client_js.py does, so `just test` does).

import assert from "node:assert/strict";
import { test } from "node:test";
import { findRoutes } from "../src/lib/routes.js";

const GET_POST = ["GET", "POST"];

test("the new widget's example: anvil.server.route with and without methods", () => {
  const source = `import anvil.server


@anvil.server.route("/hello")
def hello(name="world", **params):
    return {"message": f"Hello, {name}!"}


@anvil.server.route("/add/:a/:b", methods=["GET"])
def add(a, b, **params):
    return {"sum": int(a) + int(b)}
`;
  assert.deepEqual(findRoutes(source), [
    { path: "/hello", methods: GET_POST },
    { path: "/add/:a/:b", methods: ["GET"] },
  ]);
});

test("methods: a list, a tuple, one string, any case, trailing commas", () => {
  const source = `import anvil.server
@anvil.server.route('/list', methods=['post', "Put"])
def a(): pass
@anvil.server.route("/tuple", methods=("DELETE", 'PATCH',))
def b(): pass
@anvil.server.route("/one", methods="put")
def c(): pass
@anvil.server.route("/single", methods=("GET",))
def d(): pass
`;
  assert.deepEqual(findRoutes(source), [
    { path: "/list", methods: ["POST", "PUT"] },
    { path: "/tuple", methods: ["DELETE", "PATCH"] },
    { path: "/one", methods: ["PUT"] },
    { path: "/single", methods: ["GET"] },
  ]);
});

test("methods that cannot be read are the guest's default, GET and POST", () => {
  const source = `import anvil.server
VERBS = ["PUT"]
@anvil.server.route("/named", methods=VERBS)
def a(): pass
@anvil.server.route("/mixed", methods=["PUT", verb])
def b(): pass
`;
  assert.deepEqual(findRoutes(source), [
    { path: "/named", methods: GET_POST },
    { path: "/mixed", methods: GET_POST },
  ]);
});

test("every quote style and prefix; escapes decoded; implicit concatenation", () => {
  const source = `import anvil.server
@anvil.server.route('/single')
def a(): pass
@anvil.server.route("""/triple""")
def b(): pass
@anvil.server.route('''/triple-single''')
def c(): pass
@anvil.server.route(r"/raw\\d")
def d(): pass
@anvil.server.route(u"/caf\\u00e9")
def e(): pass
@anvil.server.route("/a" '/b')
def f(): pass
@anvil.server.route(f"/plain-f")
def g(): pass
`;
  assert.deepEqual(
    findRoutes(source).map((route) => route.path),
    ["/single", "/triple", "/triple-single", "/raw\\d", "/café", "/a/b", "/plain-f"],
  );
});

test("path and methods as keywords, or positional as the guest takes them", () => {
  const source = `import anvil.server
@anvil.server.route(path="/kw", methods=["POST"])
def a(): pass
@anvil.server.route("/fifth", False, False, False, ["PUT"])
def b(): pass
@anvil.server.route(methods=["PATCH"], path="/reversed", enable_cors=True)
def c(): pass
`;
  assert.deepEqual(findRoutes(source), [
    { path: "/kw", methods: ["POST"] },
    { path: "/fifth", methods: ["PUT"] },
    { path: "/reversed", methods: ["PATCH"] },
  ]);
});

test("http_endpoint, Anvil's older name, in every form route has", () => {
  const source = `import anvil.server
from anvil.server import http_endpoint
@anvil.server.http_endpoint("/old")
def a(): pass
@http_endpoint("/bare", methods=["POST"])
def b(): pass
`;
  assert.deepEqual(findRoutes(source), [
    { path: "/old", methods: GET_POST },
    { path: "/bare", methods: ["POST"] },
  ]);
});

test("names the imports give: from-import, aliases, star, the module under another name", () => {
  const source = `from anvil.server import route
from anvil.server import (http_endpoint as endpoint)
import anvil.server as srv
from anvil import server
@route("/from-import")
def a(): pass
@endpoint("/alias")
def b(): pass
@srv.route("/module-alias")
def c(): pass
@server.http_endpoint("/from-anvil")
def d(): pass
`;
  assert.deepEqual(
    findRoutes(source).map((route) => route.path),
    ["/from-import", "/alias", "/module-alias", "/from-anvil"],
  );
  const star = `from anvil.server import *\n@route("/star")\ndef a(): pass\n@http_endpoint("/star-old")\ndef b(): pass\n`;
  assert.deepEqual(
    findRoutes(star).map((route) => route.path),
    ["/star", "/star-old"],
  );
});

test("a bare @route is not anvil's unless it was imported from anvil.server", () => {
  const source = `from flask import route
import other as srv
@route("/flask")
def a(): pass
@srv.route("/other")
def b(): pass
@app.route("/app")
def c(): pass
@anvil.server.callable
def d(): pass
@anvil.server.route
def e(): pass
`;
  assert.deepEqual(findRoutes(source), []);
});

test("comments and strings that look like decorators are not routes", () => {
  const source = `import anvil.server
# @anvil.server.route("/commented")
#@anvil.server.route("/commented-too")
HELP = "@anvil.server.route('/in-a-string')"
DOC = """
@anvil.server.route("/in-a-docstring")
def nothing(): pass
"""
@anvil.server.route("/real")
def real():
    "@anvil.server.route('/docstring')"
    return HELP
`;
  assert.deepEqual(findRoutes(source), [{ path: "/real", methods: GET_POST }]);
});

test("routes in classes and stacked decorators are found, in order", () => {
  const source = `import anvil.server
import functools
@functools.cache
@anvil.server.route("/first")
@anvil.server.route("/second", methods=["POST"])
def both(): pass
class Api:
    @anvil.server.route("/in-class")
    def method(self): pass
`;
  assert.deepEqual(
    findRoutes(source).map((route) => route.path),
    ["/first", "/second", "/in-class"],
  );
});

test("what the guest refuses or cannot be known is left out", () => {
  const source = `import anvil.server
@anvil.server.route("no-slash")
def a(): pass
@anvil.server.route(b"/bytes")
def b(): pass
@anvil.server.route(f"/{name}")
def c(): pass
@anvil.server.route(PATH)
def d(): pass
@anvil.server.route(*paths)
def e(): pass
`;
  assert.deepEqual(findRoutes(source), []);
});

test("code being typed still gives the routes that can be read", () => {
  assert.deepEqual(findRoutes(`import anvil.server\n@anvil.server.route("/typing"\ndef f(): pass\n`), [
    { path: "/typing", methods: GET_POST },
  ]);
  assert.deepEqual(findRoutes(`import anvil.server\n@anvil.server.route("/unterminated)\n`), []);
  assert.deepEqual(findRoutes(""), []);
});
