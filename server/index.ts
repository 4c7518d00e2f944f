// The server package's entry (@node-socket-im/server): embed the relay in your own process.
// The `node-socket-im` bin (server/main.ts) is the same server with command-line options.
export { createServer, type CreateServerOptions, type ImRelayServer } from './create-server';
export { exitOnStartError, runServer } from './cli';
export {
  ConfigError,
  DEMO_SOURCES,
  configSchema,
  demoConfigInput,
  loadConfig,
  parseConfig,
  type LoadOptions,
  type ServerConfig,
  type ServerConfigInput,
  type SourceConfig,
} from './config';
export { EngineInternalsError, TESTED_VERSIONS, type EngineOptions, type EngineVersions } from './engine';
