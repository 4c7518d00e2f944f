export { createRemoteLogger, type RemoteLogger, type RemoteLoggerOptions } from './remote-logger';
