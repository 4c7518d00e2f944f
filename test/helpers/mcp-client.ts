import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { IM_DEBUG_BIN } from './run-im-debug';

export interface McpSession {
  client: Client;
  /** What `im-debug mcp` wrote on stderr so far (its status lines). */
  stderr: string[];
  /** Calls a tool; the result as the client got it (tool errors have isError). */
  call(name: string, args?: Record<string, unknown>, opts?: { onprogress?: (p: { progress: number; total?: number; message?: string }) => void; timeout?: number }): Promise<CallToolResult>;
  close(): Promise<void>;
}

/**
 * Runs the real `im-debug mcp` (terminal-viewer/bin/im-debug.js) and talks to it with the SDK's
 * own Client over stdio, as an agent would. The environment is free of the caller's IM_*
 * settings and config file.
 */
export async function startMcp(args: string[], opts: { env?: Record<string, string> } = {}): Promise<McpSession> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('IM_')) env[k] = v;
  Object.assign(env, { XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'im-debug-home-')), NO_COLOR: '1' }, opts.env);
  delete env.FORCE_COLOR;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [IM_DEBUG_BIN, 'mcp', ...args],
    env,
    cwd: path.dirname(path.dirname(path.dirname(IM_DEBUG_BIN))),
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  let rest = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop()!;
    stderr.push(...parts);
  });
  const client = new Client({ name: 'im-debug-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    stderr,
    call: async (name, toolArgs = {}, o = {}) =>
      (await client.callTool({ name, arguments: toolArgs }, undefined, {
        onprogress: o.onprogress,
        timeout: o.timeout ?? 60_000,
        resetTimeoutOnProgress: true,
      })) as CallToolResult,
    close: () => client.close(),
  };
}

/** The text of a tool result. */
export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}
