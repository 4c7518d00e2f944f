import { readFileSync } from 'node:fs';

// Set by scripts/build-packages.mjs in the compiled package; from source, terminal-viewer/package.json says it.
declare const __IM_PACKAGE_VERSION__: string | undefined;

/** The im-debug package's version (`im-debug --version`, the MCP server's version). */
export function cliVersion(): string {
  if (typeof __IM_PACKAGE_VERSION__ === 'string') return __IM_PACKAGE_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
