import { exitOnStartError, runServer } from './cli';

// The only file that reads process.env and argv for the server.
runServer(process.argv.slice(2), process.env).catch(exitOnStartError);
