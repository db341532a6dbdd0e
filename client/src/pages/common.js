// Pages with nothing of their own to do.
import { ready } from "../lib/page.js";

ready();
