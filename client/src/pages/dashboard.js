// The dashboard: the list is rendered by the server; times are made relative by page.js.
import { ready } from "../lib/page.js";

ready();
