// The client `anvil` package, as text, for the runtimes to import: Brython gets it as a
// virtual file system, Pyodide as files. Most of it is python/anvil/; the value codec, the
// `anvil.server` exception classes, `anvil.app`'s shared part (`anvil/_app_info.py`),
// background tasks' `Task` (`anvil/_tasks.py`), `anvil.tables` and `anvil.tz` have one source, the guest's package (wasm-python/anvil/),
// and are bundled from there under the same names. tests/unit/test_gui_client.py checks that
// every module of python/anvil/ is listed here, and installs the package as it is listed.

import mappinfo from "../../../wasm-python/anvil/_app_info.py";
import mportable from "../../../wasm-python/anvil/_portable.py";
import mserialize from "../../../wasm-python/anvil/_serialize.py";
import mservererrors from "../../../wasm-python/anvil/_server_errors.py";
import mtasks from "../../../wasm-python/anvil/_tasks.py";
import mtables from "../../../wasm-python/anvil/tables/__init__.py";
import mtableserrors from "../../../wasm-python/anvil/tables/_errors.py";
import mtablesrow from "../../../wasm-python/anvil/tables/_row.py";
import mtablessearch from "../../../wasm-python/anvil/tables/_search.py";
import mtablestable from "../../../wasm-python/anvil/tables/_table.py";
import mtablestransport from "../../../wasm-python/anvil/tables/_transport.py";
import mtableswire from "../../../wasm-python/anvil/tables/_wire.py";
import mtablesquery from "../../../wasm-python/anvil/tables/query.py";
import mtz from "../../../wasm-python/anvil/tz.py";
import musers from "../../../wasm-python/anvil/users/__init__.py";
import muserserrors from "../../../wasm-python/anvil/users/_errors.py";
import minit from "./python/anvil/__init__.py";
import mapp from "./python/anvil/_app.py";
import mbasic from "./python/anvil/_basic.py";
import mbrython from "./python/anvil/_brython.py";
import mcatalogue from "./python/anvil/_catalogue.py";
import mcomponent from "./python/anvil/_component.py";
import mcontainers from "./python/anvil/_containers.py";
import mdialogs from "./python/anvil/_dialogs.py";
import merrors from "./python/anvil/_errors.py";
import mforms from "./python/anvil/_forms.py";
import mlocation from "./python/anvil/_location.py";
import mmedia from "./python/anvil/_media.py";
import mplatform from "./python/anvil/_platform.py";
import mpyodide from "./python/anvil/_pyodide.py";
import mstart from "./python/anvil/_start.py";
import mtablesclient from "./python/anvil/_tables.py";
import musersforms from "./python/anvil/_users_forms.py";
import mwaiting from "./python/anvil/_waiting.py";
import mwidgets from "./python/anvil/_widgets.py";
import mjs from "./python/anvil/js.py";
import mserver from "./python/anvil/server.py";
import mplotly from "./python/plotly/__init__.py";
import mgraphobjects from "./python/plotly/graph_objects.py";
import mgraphobjs from "./python/plotly/graph_objs.py";

export const python = {
  "anvil/__init__.py": minit,
  "anvil/_app.py": mapp,
  "anvil/_app_info.py": mappinfo,
  "anvil/_basic.py": mbasic,
  "anvil/_brython.py": mbrython,
  "anvil/_catalogue.py": mcatalogue,
  "anvil/_component.py": mcomponent,
  "anvil/_containers.py": mcontainers,
  "anvil/_dialogs.py": mdialogs,
  "anvil/_errors.py": merrors,
  "anvil/_forms.py": mforms,
  "anvil/_location.py": mlocation,
  "anvil/_media.py": mmedia,
  "anvil/_platform.py": mplatform,
  "anvil/_pyodide.py": mpyodide,
  "anvil/_serialize.py": mserialize,
  "anvil/_server_errors.py": mservererrors,
  "anvil/_start.py": mstart,
  "anvil/_tables.py": mtablesclient,
  "anvil/_portable.py": mportable,
  "anvil/_tasks.py": mtasks,
  "anvil/_waiting.py": mwaiting,
  "anvil/_widgets.py": mwidgets,
  "anvil/js.py": mjs,
  "anvil/server.py": mserver,
  "anvil/tables/__init__.py": mtables,
  "anvil/tables/_errors.py": mtableserrors,
  "anvil/tables/_row.py": mtablesrow,
  "anvil/tables/_search.py": mtablessearch,
  "anvil/tables/_table.py": mtablestable,
  "anvil/tables/_transport.py": mtablestransport,
  "anvil/tables/_wire.py": mtableswire,
  "anvil/tables/query.py": mtablesquery,
  "anvil/tz.py": mtz,
  "anvil/users/__init__.py": musers,
  "anvil/users/_errors.py": muserserrors,
  "anvil/_users_forms.py": musersforms,
  "plotly/__init__.py": mplotly,
  "plotly/graph_objects.py": mgraphobjects,
  "plotly/graph_objs.py": mgraphobjs,
};
