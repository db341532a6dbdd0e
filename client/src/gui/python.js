// The client `anvil` package, as text, for the runtimes to import: Brython gets it as a
// virtual file system, Pyodide as files. Most of it is python/anvil/; the value codec and the
// `anvil.server` exception classes have one source, the guest's package (wasm-python/anvil/),
// and are bundled from there under the same names. tests/unit/test_gui_client.py checks that
// every module of python/anvil/ is listed here, and installs the package as it is listed.

import mserialize from "../../../wasm-python/anvil/_serialize.py";
import mservererrors from "../../../wasm-python/anvil/_server_errors.py";
import minit from "./python/anvil/__init__.py";
import mbasic from "./python/anvil/_basic.py";
import mbrython from "./python/anvil/_brython.py";
import mcatalogue from "./python/anvil/_catalogue.py";
import mcomponent from "./python/anvil/_component.py";
import mcontainers from "./python/anvil/_containers.py";
import mdialogs from "./python/anvil/_dialogs.py";
import merrors from "./python/anvil/_errors.py";
import mforms from "./python/anvil/_forms.py";
import mplatform from "./python/anvil/_platform.py";
import mpyodide from "./python/anvil/_pyodide.py";
import mstart from "./python/anvil/_start.py";
import mserver from "./python/anvil/server.py";

export const python = {
  "anvil/__init__.py": minit,
  "anvil/_basic.py": mbasic,
  "anvil/_brython.py": mbrython,
  "anvil/_catalogue.py": mcatalogue,
  "anvil/_component.py": mcomponent,
  "anvil/_containers.py": mcontainers,
  "anvil/_dialogs.py": mdialogs,
  "anvil/_errors.py": merrors,
  "anvil/_forms.py": mforms,
  "anvil/_platform.py": mplatform,
  "anvil/_pyodide.py": mpyodide,
  "anvil/_serialize.py": mserialize,
  "anvil/_server_errors.py": mservererrors,
  "anvil/_start.py": mstart,
  "anvil/server.py": mserver,
};
