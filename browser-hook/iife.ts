/**
 * The script-tag entry, `node_im_remote_debug.js`. With no attributes it ships this page's
 * console to room `console-log` of source `remote_debug` on the server the script came from:
 *
 *   <script src="https://im.example.com/js/node_im_remote_debug.js"
 *           data-room="console-log" data-levels="info,warn,error" data-session="kiosk-3"></script>
 *
 * `window.NODE_IM_REMOTE_DEBUG` gives `install(options)` (for `data-autostart="false"`) and the
 * running hook's `status()`, `flush()` and `uninstall()`.
 */
import { ownFile } from '../packages/log-core';
import { install, type InstallOptions, type RemoteDebug } from './install';

interface Api {
  install(options?: InstallOptions): RemoteDebug;
  readonly hook: RemoteDebug | undefined;
}

function fromScriptTag(script: HTMLScriptElement | null, hookFile: string | undefined): InstallOptions {
  const d = script?.dataset ?? {};
  let server = d.server;
  if (!server && script?.src) {
    try {
      server = new URL(script.src, location.href).origin;
    } catch {
      /* fall back to the page's origin */
    }
  }
  const options: InstallOptions = { server };
  if (d.room) options.room = d.room;
  if (d.source) options.source = d.source;
  const credential = d.credential ?? d.sign;
  if (credential) options.credential = credential;
  if (d.levels) options.levels = d.levels;
  if (d.session) options.session = d.session;
  if (d.userid) options.userid = d.userid;
  if (d.username) options.username = d.username;
  if (d.bufferSize && Number(d.bufferSize) > 0) options.bufferSize = Number(d.bufferSize);
  // Network capture is on unless data-network="off"; bodies only with data-network-bodies
  // (bare: 8 KB each; a number: that many bytes, at most 8 KB).
  if (d.network === 'off' || d.network === 'false') options.captureNetwork = false;
  if (d.networkBodies !== undefined && d.networkBodies !== 'off' && d.networkBodies !== 'false') {
    options.networkBodies = Number(d.networkBodies) > 0 ? Number(d.networkBodies) : true;
  }
  if (d.performance === 'off' || d.performance === 'false') options.capturePerformance = false;
  // Frames in this very file are the hook's, never a call site.
  if (hookFile) options.ownFile = hookFile;
  return options;
}

(() => {
  try {
    const script = document.currentScript as HTMLScriptElement | null;
    const defaults = fromScriptTag(script, ownFile(new Error().stack));
    let hook: RemoteDebug | undefined;
    const api: Api = {
      install(options = {}) {
        hook = install({ ...defaults, ...options });
        return hook;
      },
      get hook() {
        return hook;
      },
    };
    (window as unknown as { NODE_IM_REMOTE_DEBUG: Api }).NODE_IM_REMOTE_DEBUG = api;
    if (script?.dataset.autostart !== 'false') api.install();
  } catch (err) {
    // The page must load whatever happens here.
    try {
      console.warn(`remote debug: could not start (${String(err)})`);
    } catch {
      /* no console */
    }
  }
})();
